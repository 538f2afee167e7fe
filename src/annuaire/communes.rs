//! A small table of real French communes for generated addresses.
