//! The `tienda` binary: parses the command line and runs it.

use clap::Parser;

// mimalloc instead of glibc's malloc: 10,000 chat sockets took 188 MB with
// glibc (its per-thread arenas fragment) and 77 MB with mimalloc; see bench/.
// No transparent huge pages: they inflated the idle footprint by 12 MB.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    match tienda::cli::run(tienda::cli::Cli::parse()).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("tienda: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
