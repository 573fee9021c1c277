//! Shared by the fuzz targets: run the parser + validator on one in-memory file and check
//! the invariants that must hold for every input.

use ecsctl::model::load::check_text;

/// `check_text` must not panic, and every error diagnostic must point at a location
/// (except "no manifests ..." I/O errors, which `check_text` never produces anyway).
pub fn check(name: &str, data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let (_set, diagnostics) = check_text(name, &text);
    for d in diagnostics.iter() {
        if d.is_error() && d.location.is_none() && !d.message.starts_with("no manifests") {
            panic!(
                "error diagnostic without a location: {:?}\n  input ({name}): {:?}",
                d.message, text
            );
        }
    }
}
