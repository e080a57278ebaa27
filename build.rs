//! Link options for the iiot binary.

#![forbid(unsafe_code)]

use std::path::Path;
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=link/hot-code.txt");
    let var = |key: &str| std::env::var(key).unwrap_or_default();
    // The binary is position-independent, so the loader patches every
    // pointer in its read-only data at start-up: some 39,000 relative
    // relocations, 940 KB of entries read by every run however small its
    // job. Packed (DT_RELR: glibc 2.36 and binutils 2.38 or later) they
    // take a few kilobytes; an older linker or C library leaves them as
    // they were.
    if var("CARGO_CFG_TARGET_OS") == "linux" && var("CARGO_CFG_TARGET_ENV") == "gnu" {
        println!("cargo:rustc-link-arg-bins=-Wl,-z,pack-relative-relocs");
    }
    // The functions the verbs run (scripts/order-code) laid out side by
    // side, so a run maps the pages of the code it runs and not a page
    // around each of them across the whole text. Only lld reads the list:
    // Rust links with it on x86-64 Linux from 1.90, unless told otherwise.
    let order = Path::new(&var("CARGO_MANIFEST_DIR")).join("link/hot-code.txt");
    let flags = var("CARGO_ENCODED_RUSTFLAGS");
    let other_linker = std::env::var_os("RUSTC_LINKER").is_some()
        || flags.contains("linker")
        || flags.contains("link-self-contained");
    if var("TARGET") == "x86_64-unknown-linux-gnu"
        && rustc_minor(&var("RUSTC")).is_some_and(|minor| minor >= 90)
        && !other_linker
        && order.is_file()
        && !order.to_string_lossy().contains(',')
    {
        println!(
            "cargo:rustc-link-arg-bins=-Wl,--symbol-ordering-file={}",
            order.display()
        );
        // Names a build does not have (another compiler, another profile)
        // are passed over.
        println!("cargo:rustc-link-arg-bins=-Wl,--no-warn-symbol-ordering");
    }
}

/// The minor version of the Rust compiler (`rustc 1.95.0 (…)`: 95).
fn rustc_minor(rustc: &str) -> Option<u32> {
    let out = Command::new(rustc).arg("-V").output().ok()?;
    let text = String::from_utf8(out.stdout).ok()?;
    let version = text.split_whitespace().nth(1)?;
    let mut parts = version.split('.');
    (parts.next()? == "1").then_some(())?;
    parts.next()?.parse().ok()
}
