//! Points in time as the analysis sees them: whole seconds since the Unix epoch, UTC.
//!
//! The analysis never reads the system clock; callers pass a [`Moment`] in, which is what
//! makes fixed-clock tests and `--at` possible.

use std::fmt;

use serde::{Serialize, Serializer};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// A UTC instant with one-second resolution.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Moment(i64);

impl Moment {
    pub const fn from_unix(seconds: i64) -> Moment {
        Moment(seconds)
    }

    /// The current system time; only the edges of the program call this.
    pub fn now() -> Moment {
        Moment(OffsetDateTime::now_utc().unix_timestamp())
    }

    /// Parses an RFC 3339 timestamp such as `2027-01-31T00:00:00Z`.
    pub fn parse_rfc3339(text: &str) -> Result<Moment, String> {
        OffsetDateTime::parse(text.trim(), &Rfc3339)
            .map(|t| Moment(t.unix_timestamp()))
            .map_err(|e| {
                format!("`{text}` is not an RFC 3339 time such as 2027-01-31T00:00:00Z: {e}")
            })
    }

    pub fn unix(self) -> i64 {
        self.0
    }

    /// Whole days from `self` until `later` (negative when `later` is in the past),
    /// rounded towards negative infinity so that "0 days" means "less than a day left".
    pub fn days_until(self, later: Moment) -> i64 {
        (later.0 - self.0).div_euclid(86_400)
    }

    pub fn plus_days(self, days: i64) -> Moment {
        Moment(self.0.saturating_add(days.saturating_mul(86_400)))
    }

    /// RFC 3339 text, e.g. `2027-01-31T00:00:00Z`.
    pub fn rfc3339(self) -> String {
        match OffsetDateTime::from_unix_timestamp(self.0) {
            Ok(t) => t.format(&Rfc3339).unwrap_or_else(|_| self.0.to_string()),
            Err(_) => self.0.to_string(),
        }
    }

    /// The calendar date only, e.g. `2027-01-31`.
    pub fn date(self) -> String {
        let text = self.rfc3339();
        text.split('T').next().unwrap_or(&text).to_string()
    }
}

impl fmt::Display for Moment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.rfc3339())
    }
}

impl Serialize for Moment {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.rfc3339())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_until_rounds_down() {
        let t = Moment::from_unix(0);
        assert_eq!(t.days_until(Moment::from_unix(86_399)), 0);
        assert_eq!(t.days_until(Moment::from_unix(86_400)), 1);
        assert_eq!(t.days_until(Moment::from_unix(-1)), -1);
    }

    #[test]
    fn rfc3339_round_trip() {
        let t = Moment::parse_rfc3339("2027-01-31T10:00:00Z").expect("valid RFC 3339");
        assert_eq!(t.rfc3339(), "2027-01-31T10:00:00Z");
        assert_eq!(t.date(), "2027-01-31");
        assert!(Moment::parse_rfc3339("tomorrow").is_err());
    }
}
