//! The `ise-doctor` binary: parse flags, run the subcommand, exit with its code.

fn main() {
    std::process::exit(ise_doctor::cmd::main());
}
