//! The control plane's registries: what a test sets (scenarios, faults),
//! kept in order of creation under caller-chosen or generated ids, capped
//! in number and in bytes of JSON, replaced whole by a reset.
//!
//! One generic store, so that the rules (ids, caps, the given-back step of
//! a refused request) are written once; each kind says its id prefix and
//! what it weighs. The memory of compiled regexes is one budget that the
//! registries share ([`PatternBudget`]).

use std::sync::{Mutex, MutexGuard};

use crate::matching::PatternBudget;

/// What a registry holds.
pub trait Item: Clone {
    /// The prefix of generated ids (`scenario` gives `scenario-1`, …).
    const PREFIX: &'static str;
    /// The noun of error messages (`a scenario`, `too many scenarios`).
    const NOUN: &'static str;

    fn id(&self) -> &str;
    fn set_id(&mut self, id: String);
    /// The bytes it holds (what the byte cap counts).
    fn weight(&self) -> usize;
    /// The memory its compiled regexes take (what the shared budget counts).
    fn regex_bytes(&self) -> usize {
        0
    }
}

/// Why an item was not added.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RegistryError {
    #[error("a {noun} with id {id:?} exists; DELETE it first, or choose another id")]
    Exists { noun: &'static str, id: String },
    #[error("too many {noun}s ({cap}); DELETE some or POST /mock/reset")]
    Full { noun: &'static str, cap: usize },
    #[error(
        "the {noun}s would hold more than {max_bytes} bytes of JSON; DELETE some or POST /mock/reset"
    )]
    TooBig {
        noun: &'static str,
        max_bytes: usize,
    },
    #[error(
        "the regexes of the scenarios and faults would take more than {max} bytes once compiled (this {noun} adds {adds}); use exact values, simpler regexes, or DELETE some"
    )]
    Patterns {
        noun: &'static str,
        adds: usize,
        max: usize,
    },
}

/// The items, oldest first, and what the caps count.
#[derive(Debug)]
pub struct Entries<T> {
    pub list: Vec<T>,
    next_id: u64,
    bytes: usize,
    budget: PatternBudget,
}

impl<T: Item> Entries<T> {
    /// A fresh `<prefix>-N` id, not taken by a caller's own.
    fn fresh_id(&mut self) -> String {
        loop {
            self.next_id += 1;
            let id = format!("{}-{}", T::PREFIX, self.next_id);
            if !self.list.iter().any(|item| item.id() == id) {
                return id;
            }
        }
    }

    /// Removes item `i`.
    pub fn remove(&mut self, i: usize) -> T {
        let gone = self.list.remove(i);
        self.bytes = self.bytes.saturating_sub(gone.weight());
        self.budget.release(gone.regex_bytes());
        gone
    }

    /// Appends `item` as it is (a step given back: no cap applies, so that
    /// a refused request can always undo what it took).
    pub fn push(&mut self, item: T) {
        self.budget.force(item.regex_bytes());
        self.push_reserved(item);
    }

    /// Appends `item`, its regexes' memory already reserved.
    fn push_reserved(&mut self, item: T) {
        self.bytes += item.weight();
        self.list.push(item);
    }

    pub fn position(&self, id: &str) -> Option<usize> {
        self.list.iter().position(|item| item.id() == id)
    }
}

/// A capped, id-keyed registry.
#[derive(Debug)]
pub struct Registry<T> {
    entries: Mutex<Entries<T>>,
    cap: usize,
    max_bytes: usize,
}

impl<T: Item> Registry<T> {
    /// At most `cap` items, and `max_bytes` of them together; their regexes
    /// within `budget`.
    pub fn new(cap: usize, max_bytes: usize, budget: PatternBudget) -> Self {
        Self {
            entries: Mutex::new(Entries {
                list: Vec::new(),
                next_id: 0,
                bytes: 0,
                budget,
            }),
            cap,
            max_bytes,
        }
    }

    /// The entries, for an operation of the item's own kind. Every change
    /// is one `Vec` operation, so a poisoned lock is used as is.
    pub fn lock(&self) -> MutexGuard<'_, Entries<T>> {
        self.entries.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Adds `item` (an id generated if it has none); `replace` lets it take
    /// the place of one with the same id. Nothing changes on a refusal.
    pub fn add(&self, mut item: T, replace: bool) -> Result<T, RegistryError> {
        let mut entries = self.lock();
        if item.id().is_empty() {
            let id = entries.fresh_id();
            item.set_id(id);
        }
        let existing = entries.position(item.id());
        let (freed, regex_freed) = match existing {
            Some(_) if !replace => {
                return Err(RegistryError::Exists {
                    noun: T::NOUN,
                    id: item.id().to_owned(),
                });
            }
            Some(i) => (entries.list[i].weight(), entries.list[i].regex_bytes()),
            None => (0, 0),
        };
        if existing.is_none() && entries.list.len() >= self.cap {
            return Err(RegistryError::Full {
                noun: T::NOUN,
                cap: self.cap,
            });
        }
        if entries.bytes.saturating_sub(freed) + item.weight() > self.max_bytes {
            return Err(RegistryError::TooBig {
                noun: T::NOUN,
                max_bytes: self.max_bytes,
            });
        }
        if !entries.budget.try_reserve(item.regex_bytes(), regex_freed) {
            return Err(RegistryError::Patterns {
                noun: T::NOUN,
                adds: item.regex_bytes(),
                max: entries.budget.max(),
            });
        }
        if let Some(i) = existing {
            entries.remove(i);
        }
        entries.push_reserved(item.clone());
        Ok(item)
    }

    pub fn get(&self, id: &str) -> Option<T> {
        let entries = self.lock();
        entries.position(id).map(|i| entries.list[i].clone())
    }

    pub fn remove(&self, id: &str) -> Option<T> {
        let mut entries = self.lock();
        let i = entries.position(id)?;
        Some(entries.remove(i))
    }

    /// Every item, oldest first.
    pub fn list(&self) -> Vec<T> {
        self.lock().list.clone()
    }

    pub fn is_empty(&self) -> bool {
        self.lock().list.is_empty()
    }

    /// Replaces every item by `items` (a reset to the start-up set); those
    /// without an id get one.
    pub fn replace_all(&self, items: Vec<T>) {
        let mut entries = self.lock();
        while let Some(last) = entries.list.len().checked_sub(1) {
            entries.remove(last);
        }
        for mut item in items {
            if item.id().is_empty() {
                let id = entries.fresh_id();
                item.set_id(id);
            }
            entries.push(item);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Clone, PartialEq)]
    struct Note(String, usize);

    impl Item for Note {
        const PREFIX: &'static str = "note";
        const NOUN: &'static str = "note";
        fn id(&self) -> &str {
            &self.0
        }
        fn set_id(&mut self, id: String) {
            self.0 = id;
        }
        fn weight(&self) -> usize {
            self.1
        }
    }

    #[test]
    fn ids_caps_and_replacement() {
        let r = Registry::new(2, 10, PatternBudget::default());
        assert_eq!(r.add(Note(String::new(), 3), false).unwrap().0, "note-1");
        assert_eq!(
            r.add(Note("note-1".into(), 1), false).unwrap_err(),
            RegistryError::Exists {
                noun: "note",
                id: "note-1".into()
            }
        );
        // Replacing frees the old one's weight.
        r.add(Note("note-1".into(), 9), true).unwrap();
        assert!(matches!(
            r.add(Note("b".into(), 2), false),
            Err(RegistryError::TooBig { .. })
        ));
        r.add(Note("b".into(), 1), false).unwrap();
        assert!(matches!(
            r.add(Note("c".into(), 0), false),
            Err(RegistryError::Full { cap: 2, .. })
        ));
        assert_eq!(r.remove("b").unwrap().0, "b");
        assert_eq!(r.get("note-1").unwrap().1, 9);
        // A caller's id taken by a generated one is skipped.
        r.replace_all(vec![Note("note-2".into(), 0), Note(String::new(), 0)]);
        let ids: Vec<String> = r.list().into_iter().map(|n| n.0).collect();
        assert_eq!(ids, ["note-2", "note-3"]);
    }

    /// An item whose regexes take `.1` bytes.
    #[derive(Debug, Clone, PartialEq)]
    struct Rx(String, usize);

    impl Item for Rx {
        const PREFIX: &'static str = "rx";
        const NOUN: &'static str = "rx";
        fn id(&self) -> &str {
            &self.0
        }
        fn set_id(&mut self, id: String) {
            self.0 = id;
        }
        fn weight(&self) -> usize {
            0
        }
        fn regex_bytes(&self) -> usize {
            self.1
        }
    }

    #[test]
    fn registries_share_one_regex_budget() {
        let budget = PatternBudget::new(10);
        let (a, b) = (
            Registry::new(9, usize::MAX, budget.clone()),
            Registry::new(9, usize::MAX, budget.clone()),
        );
        a.add(Rx("a1".into(), 6), false).unwrap();
        let refused = b.add(Rx("b1".into(), 5), false).unwrap_err();
        assert_eq!(
            refused,
            RegistryError::Patterns {
                noun: "rx",
                adds: 5,
                max: 10
            }
        );
        assert!(b.is_empty(), "a refusal changes nothing");
        assert_eq!(budget.used(), 6);
        // Replacing counts what the old one gives back.
        a.add(Rx("a1".into(), 9), true).unwrap();
        assert_eq!(budget.used(), 9);
        a.remove("a1").unwrap();
        b.add(Rx("b1".into(), 5), false).unwrap();
        a.add(Rx("a2".into(), 5), false).unwrap();
        assert_eq!(budget.used(), 10);
        // A step taken and given back keeps the count right.
        let mut entries = b.lock();
        let taken = entries.remove(0);
        entries.push(taken);
        drop(entries);
        assert_eq!(budget.used(), 10);
        // A reset gives back what it drops.
        a.replace_all(Vec::new());
        b.replace_all(vec![Rx("b2".into(), 1)]);
        assert_eq!(budget.used(), 1);
    }
}
