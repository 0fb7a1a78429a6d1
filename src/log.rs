//! The decision log: `-v` writes what the program decided (addresses, SNI, timings) to
//! stderr. Never secrets: callers pass facts about certificates and connections only.

use std::sync::atomic::{AtomicU8, Ordering};

static VERBOSITY: AtomicU8 = AtomicU8::new(0);

pub fn set_verbosity(level: u8) {
    VERBOSITY.store(level, Ordering::Relaxed);
}

pub fn enabled(level: u8) -> bool {
    VERBOSITY.load(Ordering::Relaxed) >= level
}

/// Logs a decision at `-v` (level 1) or `-vv` (level 2).
#[macro_export]
macro_rules! debug {
    ($level:expr, $($arg:tt)*) => {
        if $crate::log::enabled($level) {
            eprintln!("ise-doctor: {}", format_args!($($arg)*));
        }
    };
}
