//! The ANS nomenclatures (NOS) psc-mock uses, as typed tables with labels.
