use clap::Parser;

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
