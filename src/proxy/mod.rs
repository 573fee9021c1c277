//! The proxy adapters: the managed HAProxy container of a cluster on one host
//! ([`container`], through Docker), and its Runtime API spoken over the admin socket
//! ([`client`]). What they carry out is decided in `reconcile::traffic` and rendered by the
//! pure `traffic` modules.

pub mod client;
pub mod container;
