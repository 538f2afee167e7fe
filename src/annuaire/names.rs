//! Gendered French first names for generated professionals (ours: fake's French first names carry no gender).
