//! Dates: RFC 5322 Date headers and IMAP INTERNALDATE, both to Unix seconds.

use mail_parser::DateTime;

/// Parses a Date header value (RFC 5322, with the usual real-world deviations).
pub fn parse_header_date(raw: &[u8]) -> Option<i64> {
    let text = std::str::from_utf8(raw).ok()?;
    let parsed = DateTime::parse_rfc822(text.trim())?;
    parsed.is_valid().then(|| parsed.to_timestamp())
}

const MONTHS: [&str; 12] = [
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];

/// Parses an IMAP INTERNALDATE (`"17-Jul-1996 02:44:25 -0700"`, RFC 3501 date-time).
pub fn parse_internal_date(text: &str) -> Option<i64> {
    let text = text.trim().trim_matches('"').trim();
    let (date, rest) = text.split_once(' ')?;
    let (time, zone) = rest.trim().split_once(' ')?;
    let mut date_parts = date.trim().split('-');
    let day: u32 = date_parts.next()?.trim().parse().ok()?;
    let month_name = date_parts.next()?.to_ascii_lowercase();
    let month = MONTHS.iter().position(|name| *name == month_name)? as u32 + 1;
    let year: i32 = date_parts.next()?.parse().ok()?;
    let mut time_parts = time.split(':');
    let hour: u32 = time_parts.next()?.parse().ok()?;
    let minute: u32 = time_parts.next()?.parse().ok()?;
    let second: u32 = time_parts.next()?.parse().ok()?;
    let zone = zone.trim();
    if zone.len() != 5 {
        return None;
    }
    let sign = match zone.as_bytes().first()? {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let zone_hours: i64 = zone.get(1..3)?.parse().ok()?;
    let zone_minutes: i64 = zone.get(3..5)?.parse().ok()?;
    if !(1..=31).contains(&day) || hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    let days = days_from_civil(year, month, day);
    let local = days * 86_400 + i64::from(hour) * 3600 + i64::from(minute) * 60 + i64::from(second);
    Some(local - sign * (zone_hours * 3600 + zone_minutes * 60))
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i32, month: u32, day: u32) -> i64 {
    let year = i64::from(year) - i64::from(month <= 2);
    let era = if year >= 0 { year } else { year - 399 } / 400;
    let year_of_era = year - era * 400;
    let month = i64::from(month);
    let day_of_year =
        (153 * (if month > 2 { month - 3 } else { month + 9 }) + 2) / 5 + i64::from(day) - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_dates() {
        let cases = [
            ("17-Jul-1996 02:44:25 -0700", Some(837_596_665)),
            ("\" 1-Jan-1970 00:00:00 +0000\"", Some(0)),
            ("29-Feb-2024 23:59:59 +0100", Some(1_709_247_599)),
            ("31-Dec-1969 23:00:00 -0100", Some(0)),
            ("17-Foo-1996 02:44:25 -0700", None),
            ("17-Jul-1996 25:44:25 -0700", None),
            ("garbage", None),
            ("", None),
        ];
        for (text, expected) in cases {
            assert_eq!(parse_internal_date(text), expected, "{text}");
        }
    }

    #[test]
    fn header_dates() {
        assert_eq!(
            parse_header_date(b"Wed, 17 Jul 1996 02:44:25 -0700"),
            Some(837_596_665)
        );
        assert_eq!(
            parse_header_date(b"17 Jul 1996 09:44:25 GMT"),
            Some(837_596_665)
        );
        assert_eq!(parse_header_date(b"not a date"), None);
        assert_eq!(parse_header_date(b"\xff\xfe"), None);
    }
}
