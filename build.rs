//! Link options for the iiot binary.

#![forbid(unsafe_code)]

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let target = |key: &str| std::env::var(key).unwrap_or_default();
    // The binary is position-independent, so the loader patches every
    // pointer in its read-only data at start-up: some 39,000 relative
    // relocations, 940 KB of entries read by every run however small its
    // job. Packed (DT_RELR: glibc 2.36 and binutils 2.38 or later) they
    // take a few kilobytes; an older linker or C library leaves them as
    // they were.
    if target("CARGO_CFG_TARGET_OS") == "linux" && target("CARGO_CFG_TARGET_ENV") == "gnu" {
        println!("cargo:rustc-link-arg-bins=-Wl,-z,pack-relative-relocs");
    }
}
