//! JSON bodies of the control API, read with the path of the value that
//! is wrong (`steps[1].action: unknown variant ...`).

use futures_util::StreamExt;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::ControlError;
use crate::scenarios::at_path;

/// Largest body read by [`parse_optional`].
const MAX_BODY: usize = 64 * 1024;

/// Turns a JSON value (from `web::Json<Value>`) into `T`, naming where it
/// went wrong.
pub fn parse<T: DeserializeOwned>(value: Value) -> Result<T, ControlError> {
    serde_path_to_error::deserialize(value)
        .map_err(|e| ControlError::BadRequest(format!("invalid JSON body: {}", at_path(e))))
}

/// A JSON body that may be absent (empty): `None` then.
pub async fn parse_optional<T: DeserializeOwned>(
    mut payload: actix_web::web::Payload,
) -> Result<Option<T>, ControlError> {
    let mut body = Vec::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk
            .map_err(|e| ControlError::BadRequest(format!("the body could not be read: {e}")))?;
        if body.len() + chunk.len() > MAX_BODY {
            return Err(ControlError::BadRequest(format!(
                "the body is larger than {MAX_BODY} bytes"
            )));
        }
        body.extend_from_slice(&chunk);
    }
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    let value: Value = serde_json::from_slice(&body)
        .map_err(|e| ControlError::BadRequest(format!("invalid JSON body: {e}")))?;
    parse(value).map(Some)
}
