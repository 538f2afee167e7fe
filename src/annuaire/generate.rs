//! Generated professionals (fake, French locale), deterministic per seed.
