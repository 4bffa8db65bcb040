//! The `ferrobase` binary: all logic lives in the library.

// mimalloc returns freed memory to the OS and keeps per-thread caches small;
// with glibc's allocator, the short bursts of password hashing (19 MiB each)
// left hundreds of MB resident.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    std::process::exit(ferrobase::cli::run());
}
