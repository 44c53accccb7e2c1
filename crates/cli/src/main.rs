use clap::Parser;

fn main() -> std::process::ExitCode {
    let cli = lodestar::cli::Cli::parse();
    if !matches!(cli.command, lodestar::cli::Command::Serve { .. }) {
        limit_malloc_arenas();
    }
    if let Err(e) = lodestar::cli::init_logs(cli.log_format) {
        eprintln!("error: {e:#}");
        return std::process::ExitCode::FAILURE;
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("start the async runtime");
    match runtime.block_on(lodestar::cli::run(cli)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// For the batch commands (demo, imports, restore): glibc gives each thread that allocates its
/// own arena, up to eight per core; memory freed in one arena is not reused by another, so a
/// batch that allocates on many runtime threads keeps far more than it holds (the
/// 100,000-account demo peaked at 511 MB with the default, 373 MB with four arenas, no
/// slower). The server keeps the default: with four arenas its request threads contend on
/// them (the list endpoint lost ~40 % of its throughput). Called before any thread starts.
///
/// Buffers of a mebibyte and more (an event import's slabs, chunks and blocks) are mapped and
/// unmapped whole. glibc's threshold for that otherwise rises to the size of the largest
/// buffer freed, after which such buffers come from the heap, and the freed ones stay
/// resident: a 3-million-event import peaked at 529 MB that way, 435 MB with the fixed
/// threshold (BENCHMARKS.md, issue 19 point 2).
fn limit_malloc_arenas() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets allocator parameters; it is called before any thread starts.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 4);
        libc::mallopt(libc::M_MMAP_THRESHOLD, 1 << 20);
    }
}
