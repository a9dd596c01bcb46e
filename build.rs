//! Links release builds of the `tienda` binary with `build/symbol-order.txt`,
//! so the functions start-up runs sit together at the front of .text (see
//! scripts/symbol_order.py for why and how the file is made).
//!
//! Only rust-lld (the default linker for x86_64-unknown-linux-gnu since Rust
//! 1.90) understands the flag, so anything else links as before.

use std::env;
use std::path::Path;
use std::process::Command;

const ORDER_FILE: &str = "build/symbol-order.txt";

fn main() {
    println!("cargo:rerun-if-changed={ORDER_FILE}");
    println!("cargo:rerun-if-env-changed=TIENDA_NO_SYMBOL_ORDER");
    println!("cargo:rerun-if-env-changed=RUSTFLAGS");
    println!("cargo:rerun-if-env-changed=CARGO_TARGET_X86_64_UNKNOWN_LINUX_GNU_LINKER");
    if uses_default_rust_lld() && env::var("PROFILE").as_deref() == Ok("release") {
        let manifest_dir = env::var("CARGO_MANIFEST_DIR").unwrap_or_default();
        let order = Path::new(&manifest_dir).join(ORDER_FILE);
        if order.is_file() {
            println!(
                "cargo:rustc-link-arg-bin=tienda=-Wl,--symbol-ordering-file={}",
                order.display()
            );
            // Entries whose symbols a later change renamed are simply skipped.
            println!("cargo:rustc-link-arg-bin=tienda=-Wl,--no-warn-symbol-ordering");
        }
    }
}

fn uses_default_rust_lld() -> bool {
    if env::var_os("TIENDA_NO_SYMBOL_ORDER").is_some()
        || env::var("TARGET").as_deref() != Ok("x86_64-unknown-linux-gnu")
        || env::var_os("CARGO_TARGET_X86_64_UNKNOWN_LINUX_GNU_LINKER").is_some()
    {
        return false;
    }
    let flags = env::var("CARGO_ENCODED_RUSTFLAGS").unwrap_or_default();
    if flags.contains("linker") || flags.contains("fuse-ld") {
        return false;
    }
    rustc_minor().is_some_and(|minor| minor >= 90)
}

fn rustc_minor() -> Option<u32> {
    let rustc = env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let out = Command::new(rustc).arg("--version").output().ok()?;
    let version = String::from_utf8(out.stdout).ok()?;
    // "rustc 1.95.0 (59807616e 2026-04-14)"
    version
        .split_whitespace()
        .nth(1)?
        .split('.')
        .nth(1)?
        .parse()
        .ok()
}
