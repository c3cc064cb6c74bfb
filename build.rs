//! Installs the browser files the service embeds (GraphiQL, React, GraphQL Voyager): `npm ci`
//! in `web/` when `web/node_modules` is missing or older than `web/package-lock.json`. The
//! lock file pins every package by version and checksum; npm fetches them from the npm
//! registry, never from a CDN, and the service then serves them itself (`src/http/assets.rs`).
//!
//! Trade-off: a build needs Node.js and npm (and the registry, or npm's cache, once per
//! lock-file change), in exchange for pinned, checked packages instead of vendored megabytes
//! in the repository.

use std::path::Path;
use std::process::{Command, Stdio};

fn main() {
    println!("cargo:rerun-if-changed=web/package.json");
    println!("cargo:rerun-if-changed=web/package-lock.json");
    // npm writes this file last; when it is missing (node_modules deleted, a fresh clone) the
    // script runs again on every build until it exists.
    println!("cargo:rerun-if-changed=web/node_modules/.package-lock.json");

    let web = Path::new(env!("CARGO_MANIFEST_DIR")).join("web");
    let installed = web.join("node_modules/.package-lock.json");
    if is_current(&installed, &web.join("package-lock.json")) {
        return;
    }
    let npm = if cfg!(windows) { "npm.cmd" } else { "npm" };
    let status = Command::new(npm)
        .args(["ci", "--no-audit", "--no-fund", "--ignore-scripts"])
        .args(["--loglevel=error", "--prefix"])
        .arg(&web)
        // Anything npm prints goes to the build log, never to cargo's directives.
        .stdout(Stdio::from(std::io::stderr()))
        .status();
    match status {
        Ok(status) if status.success() => {}
        Ok(status) => fail(&format!(
            "`npm ci --prefix web` failed ({status}); its output is above"
        )),
        Err(error) => fail(&format!(
            "could not run npm ({error}). Building regiograaf needs Node.js 20 and npm on the \
             PATH: they install the GraphiQL and GraphQL Voyager files pinned in \
             web/package-lock.json"
        )),
    }
}

/// Whether `installed` exists and is not older than `lock`.
fn is_current(installed: &Path, lock: &Path) -> bool {
    let modified = |path: &Path| path.metadata().and_then(|m| m.modified()).ok();
    match (modified(installed), modified(lock)) {
        (Some(installed), Some(lock)) => installed >= lock,
        (Some(_), None) => true,
        (None, _) => false,
    }
}

fn fail(message: &str) -> ! {
    eprintln!("error: {message}");
    println!("cargo::error={message}");
    std::process::exit(1);
}
