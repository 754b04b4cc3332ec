//! A contact's time zone, as far as its phone number tells: the country's zone where the country
//! has one, the area code's in the United States and Canada where the table below knows it,
//! else the tenant's zone. A mobile number keeps its area code when its owner moves, so this is
//! the best guess a number allows, not a fact.

use chrono_tz::Tz;

/// The time zone to call the E.164 number `e164` in; `fallback` (the tenant's zone) when the
/// number does not parse or its country or area spans several zones.
pub fn contact_zone(e164: &str, fallback: Tz) -> Tz {
    let Ok(number) = phonenumber::parse(None, e164) else {
        return fallback;
    };
    country_zone(number.code().value(), number.national().value()).unwrap_or(fallback)
}

/// The zone of a country calling code whose countries share one zone (+44 includes Jersey,
/// Guernsey and the Isle of Man, all on London's time; for Spain, the mainland's but for the
/// Canary Islands' numbers), or of a North American area code the table knows.
fn country_zone(calling_code: u16, national: u64) -> Option<Tz> {
    use chrono_tz::{Asia, Europe, Pacific};
    Some(match calling_code {
        86 => Asia::Shanghai,
        852 => Asia::Hong_Kong,
        853 => Asia::Macau,
        886 => Asia::Taipei,
        65 => Asia::Singapore,
        60 => Asia::Kuala_Lumpur,
        81 => Asia::Tokyo,
        82 => Asia::Seoul,
        66 => Asia::Bangkok,
        84 => Asia::Ho_Chi_Minh,
        63 => Asia::Manila,
        91 => Asia::Kolkata,
        64 => Pacific::Auckland,
        44 => Europe::London,
        353 => Europe::Dublin,
        49 => Europe::Berlin,
        33 => Europe::Paris,
        39 => Europe::Rome,
        31 => Europe::Amsterdam,
        32 => Europe::Brussels,
        41 => Europe::Zurich,
        43 => Europe::Vienna,
        // Nine-digit numbers; the Canary Islands' landlines start 922 and 928.
        34 => match national / 1_000_000 {
            922 | 928 => chrono_tz::Atlantic::Canary,
            _ => Europe::Madrid,
        },
        // The United States, Canada and the Caribbean; the table has no Caribbean codes.
        1 => return area_code_zone(national / 10_000_000),
        _ => return None,
    })
}

/// North American area codes whose whole area lies in one time zone: those of the most
/// populous metropolitan areas, as NANPA assigns them (https://nationalnanpa.com, area code
/// maps; Canada's from the CNA, https://www.cnac.ca). Area codes split between zones (El Paso's
/// 915, Idaho's 208, Oregon's 541, British Columbia's 250…) and all others are left out: their
/// contacts are called in the tenant's zone.
const AREA_CODES: &[(Tz, &[u16])] = &[
    (
        chrono_tz::America::New_York,
        &[
            212, 646, 332, 917, 718, 347, 929, 516, 631, 914, 585, 716, 518, 315, 201, 551, 732,
            848, 908, 973, 862, 609, 856, 215, 267, 445, 412, 610, 484, 717, 617, 857, 508, 774,
            781, 339, 978, 351, 413, 203, 475, 860, 202, 301, 240, 410, 443, 703, 571, 804, 757,
            704, 980, 919, 984, 336, 803, 843, 864, 404, 470, 678, 770, 912, 706, 305, 786, 954,
            754, 561, 407, 321, 689, 813, 727, 904, 239, 941, 216, 614, 513, 419, 330, 313, 248,
            586, 734, 616, 810,
        ],
    ),
    (
        chrono_tz::America::Toronto,
        &[
            416, 647, 437, 905, 289, 365, 613, 343, 519, 514, 438, 450, 418,
        ],
    ),
    (
        chrono_tz::America::Chicago,
        &[
            312, 872, 773, 630, 331, 847, 224, 708, 214, 469, 972, 945, 713, 281, 832, 346, 210,
            726, 512, 737, 817, 682, 612, 651, 763, 952, 314, 816, 414, 608, 615, 629, 901, 504,
            225, 205, 405, 918, 316, 913, 515, 402,
        ],
    ),
    (chrono_tz::America::Winnipeg, &[204]),
    (
        chrono_tz::America::Denver,
        &[303, 720, 719, 970, 801, 385, 435, 505],
    ),
    (chrono_tz::America::Phoenix, &[602, 480, 623, 520]),
    (chrono_tz::America::Edmonton, &[403, 587, 780, 825]),
    (
        chrono_tz::America::Los_Angeles,
        &[
            213, 323, 310, 424, 818, 747, 626, 562, 714, 657, 949, 909, 951, 619, 858, 760, 442,
            805, 408, 669, 415, 628, 510, 341, 650, 916, 279, 925, 707, 559, 206, 253, 425, 360,
            509, 503, 971, 702, 725, 775,
        ],
    ),
    (chrono_tz::America::Vancouver, &[604, 778, 236]),
    (chrono_tz::America::Anchorage, &[907]),
    (chrono_tz::Pacific::Honolulu, &[808]),
];

fn area_code_zone(area_code: u64) -> Option<Tz> {
    let area_code = u16::try_from(area_code).ok()?;
    AREA_CODES
        .iter()
        .find(|(_, codes)| codes.contains(&area_code))
        .map(|(zone, _)| *zone)
}

#[cfg(test)]
mod tests {
    use super::*;

    const TENANT: Tz = chrono_tz::Asia::Shanghai;

    #[test]
    fn single_zone_countries() {
        assert_eq!(
            contact_zone("+8613800138000", TENANT),
            chrono_tz::Asia::Shanghai
        );
        assert_eq!(
            contact_zone("+819012345678", TENANT),
            chrono_tz::Asia::Tokyo
        );
        assert_eq!(
            contact_zone("+821012345678", TENANT),
            chrono_tz::Asia::Seoul
        );
        assert_eq!(
            contact_zone("+6581234567", TENANT),
            chrono_tz::Asia::Singapore
        );
        assert_eq!(
            contact_zone("+447911123456", TENANT),
            chrono_tz::Europe::London
        );
        assert_eq!(
            contact_zone("+4915123456789", TENANT),
            chrono_tz::Europe::Berlin
        );
        assert_eq!(
            contact_zone("+33612345678", TENANT),
            chrono_tz::Europe::Paris
        );
        assert_eq!(
            contact_zone("+34912345678", TENANT),
            chrono_tz::Europe::Madrid
        );
        assert_eq!(
            contact_zone("+34928123456", TENANT),
            chrono_tz::Atlantic::Canary
        );
    }

    #[test]
    fn north_american_area_codes() {
        assert_eq!(
            contact_zone("+12125550123", TENANT),
            chrono_tz::America::New_York
        );
        assert_eq!(
            contact_zone("+13125550123", TENANT),
            chrono_tz::America::Chicago
        );
        assert_eq!(
            contact_zone("+13035550123", TENANT),
            chrono_tz::America::Denver
        );
        assert_eq!(
            contact_zone("+16025550123", TENANT),
            chrono_tz::America::Phoenix
        );
        assert_eq!(
            contact_zone("+14155550123", TENANT),
            chrono_tz::America::Los_Angeles
        );
        assert_eq!(
            contact_zone("+14165550123", TENANT),
            chrono_tz::America::Toronto
        );
        assert_eq!(
            contact_zone("+16045550123", TENANT),
            chrono_tz::America::Vancouver
        );
        // El Paso's 915 is in Mountain time while the rest of Texas is Central: not in the table.
        assert_eq!(contact_zone("+19155550123", TENANT), TENANT);
    }

    #[test]
    fn otherwise_the_tenants_zone() {
        // Australia and Russia span several zones; a number that does not parse says nothing.
        assert_eq!(contact_zone("+61412345678", TENANT), TENANT);
        assert_eq!(contact_zone("+79161234567", TENANT), TENANT);
        assert_eq!(contact_zone("not a number", TENANT), TENANT);
        assert_eq!(contact_zone("", TENANT), TENANT);
    }

    #[test]
    fn no_area_code_is_in_two_zones() {
        let mut seen = std::collections::HashSet::new();
        for (_, codes) in AREA_CODES {
            for code in *codes {
                assert!(seen.insert(*code), "{code} listed twice");
            }
        }
    }
}
