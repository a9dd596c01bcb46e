//! The `tienda` binary: parses the command line and runs it.

use clap::Parser;

// mimalloc instead of glibc's malloc: 10,000 chat sockets took 188 MB with
// glibc (its per-thread arenas fragment) and 77 MB with mimalloc; see bench/.
// No transparent huge pages: they inflated the idle footprint by 12 MB.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// How often freed memory is handed back to the system.
const PURGE_EVERY: std::time::Duration = std::time::Duration::from_secs(2);

/// mimalloc hands freed memory back a second after it was freed, but only
/// when some thread next calls into it: a shop that goes quiet after a burst
/// (the search index build at start, a rebuild, a sale) would keep the burst's
/// memory. A slow tick makes that call.
fn purge_freed_memory() {
    let purger = std::thread::Builder::new()
        .name("memory-purge".into())
        .spawn(|| loop {
            std::thread::sleep(PURGE_EVERY);
            // SAFETY: mi_collect takes no pointers; it only walks mimalloc's
            // own structures, and may be called from any thread.
            unsafe { libmimalloc_sys::mi_collect(false) };
        });
    if let Err(e) = purger {
        eprintln!("tienda: freed memory will be returned later: {e}");
    }
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    purge_freed_memory();
    match tienda::cli::run(tienda::cli::Cli::parse()).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("tienda: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
