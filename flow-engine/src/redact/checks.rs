//! The check digits that tell a real card or ID number from any string of digits.

/// Whether `digits` (ASCII digits only) passes the Luhn check every payment card carries.
pub(super) fn luhn(digits: &str) -> bool {
    let mut sum = 0;
    for (i, b) in digits.bytes().rev().enumerate() {
        let mut d = u32::from(b - b'0');
        if i % 2 == 1 {
            d *= 2;
            if d > 9 {
                d -= 9;
            }
        }
        sum += d;
    }
    sum % 10 == 0
}

/// Whether `id` (17 digits and a digit or `X`) is a mainland resident ID number: a plausible
/// region and birth date, and the ISO 7064 MOD 11-2 check character of GB 11643.
pub(super) fn id_number(id: &str) -> bool {
    let bytes = id.as_bytes();
    if bytes.len() != 18 || !bytes[..17].iter().all(u8::is_ascii_digit) {
        return false;
    }
    // Regions start 1–8 (1x north … 8x Hong Kong, Macau, Taiwan).
    if !(b'1'..=b'8').contains(&bytes[0]) {
        return false;
    }
    let number = |range: std::ops::Range<usize>| {
        bytes[range]
            .iter()
            .fold(0u32, |n, b| n * 10 + u32::from(b - b'0'))
    };
    let (year, month, day) = (number(6..10), number(10..12), number(12..14));
    if !(1900..=2099).contains(&year) || !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return false;
    }
    const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    const CHECK: &[u8; 11] = b"10X98765432";
    let sum: u32 = bytes[..17]
        .iter()
        .zip(WEIGHTS)
        .map(|(b, w)| u32::from(b - b'0') * w)
        .sum();
    bytes[17].to_ascii_uppercase() == CHECK[(sum % 11) as usize]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn luhn_accepts_real_card_numbers_only() {
        assert!(luhn("4111111111111111"));
        assert!(luhn("6222021234567890128"));
        assert!(!luhn("4111111111111112"));
        assert!(!luhn("6222021234567890123"));
    }

    #[test]
    fn id_numbers_need_their_check_character_and_a_birth_date() {
        // GB 11643's own example.
        assert!(id_number("11010519491231002X"));
        assert!(id_number("11010519491231002x"));
        assert!(id_number("440524198001010013"));
        assert!(!id_number("440524188001010014"), "born before 1900");
        assert!(!id_number("110105194912310021"));
        assert!(!id_number("110105194913310024"), "month 13");
        assert!(!id_number("910105194912310021"), "region 9");
        assert!(!id_number("11010519491231002"));
    }
}
