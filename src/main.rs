//! The `ferrobase` binary: all logic lives in the library.

fn main() {
    std::process::exit(ferrobase::cli::run());
}
