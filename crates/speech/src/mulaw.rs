//! G.711 μ-law audio, the codec of the public telephone network and of Twilio Media Streams
//! (`audio/x-mulaw`, 8 kHz, mono), and a downsampler that brings text-to-speech output
//! (16 kHz, 24 kHz, 44.1 kHz, …) down to the 8 kHz the phone line carries.
//!
//! The codec follows ITU-T G.711 (11/88) and the reference code of ITU-T G.191 (the
//! Software Tool Library's `ulaw_compress` / `ulaw_expand`) on 16-bit linear samples:
//! - the two low bits of a 16-bit sample are dropped (G.711 μ-law works on 14-bit values);
//! - a negative sample is coded through its ones' complement (`!x`), so that `x` and
//!   `-1 - x` get the same code apart from the sign bit;
//! - the 14-bit magnitude is biased by 33, clipped to 8191, split into a 3-bit segment
//!   (exponent) and a 4-bit step (mantissa), and all bits are inverted;
//! - a code decodes to the middle of its decision interval:
//!   `±4 · (((2·mantissa + 33) << segment) − 33)`, from 0 to ±32124.
//!
//! A code byte's high bit is its sign (set = positive); `0xFF` is positive zero (silence on
//! the line) and `0x7F` negative zero. Some widely copied encoders (those derived from Sun's `g711.c`) code
//! negative samples from the two's complement instead and so differ by one step right at the
//! negative decision levels; decoders agree everywhere.

use std::sync::OnceLock;

/// The sample rate of G.711 telephone audio, in hertz.
pub const TELEPHONY_RATE: u32 = 8000;

/// μ-law bytes in one 20 ms frame at 8 kHz (one byte per sample), the frame size Twilio
/// usually sends on a media stream.
pub const FRAME_BYTES_20MS: usize = 160;

/// The μ-law code of silence (positive zero).
pub const SILENCE: u8 = 0xFF;

/// Largest biased 14-bit magnitude G.711 can code (8159 + 33 bias, rounded up to 13 bits).
const MAX_BIASED: u16 = 0x1FFF;

/// The G.711 bias added to a 14-bit magnitude before it is split into segment and step.
const BIAS: u16 = 33;

/// Encodes one 16-bit linear PCM sample as a μ-law code.
pub fn encode(sample: i16) -> u8 {
    // Ones' complement for negatives: never overflows, and matches G.191.
    let magnitude = if sample < 0 { !sample } else { sample } as u16 >> 2;
    let biased = (magnitude + BIAS).min(MAX_BIASED);
    // `biased` lies in 33..=8191, so its highest set bit is bit 5..=12: segment 0..=7.
    let segment = (15 - biased.leading_zeros() as u16) - 5;
    let step = (biased >> (segment + 1)) & 0x0F;
    let code = !(((segment << 4) | step) as u8) & 0x7F;
    if sample >= 0 {
        code | 0x80
    } else {
        code
    }
}

/// Decodes one μ-law code to a 16-bit linear PCM sample.
pub fn decode(code: u8) -> i16 {
    DECODE_TABLE[usize::from(code)]
}

/// Appends the μ-law codes of `samples` to `out`.
pub fn encode_into(samples: &[i16], out: &mut Vec<u8>) {
    out.extend(samples.iter().map(|&sample| encode(sample)));
}

/// Appends the linear samples of the μ-law `codes` to `out`.
pub fn decode_into(codes: &[u8], out: &mut Vec<i16>) {
    out.extend(codes.iter().map(|&code| decode(code)));
}

/// The μ-law codes of `samples`.
pub fn encode_slice(samples: &[i16]) -> Vec<u8> {
    let mut out = Vec::with_capacity(samples.len());
    encode_into(samples, &mut out);
    out
}

/// The linear samples of the μ-law `codes`.
pub fn decode_slice(codes: &[u8]) -> Vec<i16> {
    let mut out = Vec::with_capacity(codes.len());
    decode_into(codes, &mut out);
    out
}

/// The G.711 expansion formula, evaluated once per code at compile time.
const fn expand(code: u8) -> i16 {
    let inverted = !code;
    let segment = (inverted >> 4) & 0x07;
    let step = (inverted & 0x0F) as i32;
    let magnitude = (((2 * step + 33) << segment) - 33) * 4;
    if code & 0x80 != 0 {
        magnitude as i16
    } else {
        -magnitude as i16
    }
}

const DECODE_TABLE: [i16; 256] = {
    let mut table = [0i16; 256];
    let mut code = 0;
    while code < 256 {
        table[code] = expand(code as u8);
        code += 1;
    }
    table
};

/// Why a [`Downsampler`] cannot be made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ResampleError {
    /// The input rate is below 8 kHz or above [`Downsampler::MAX_INPUT_RATE`].
    #[error("cannot downsample from {0} Hz to 8000 Hz: the input rate must be 8000..=192000 Hz")]
    UnsupportedRate(u32),
}

/// Half the filter's length, in output (8 kHz) samples: 4 ms of look-ahead and look-behind.
const HALF_WIDTH: usize = 32;
/// Points of the tabulated filter kernel per output sample.
const TABLE_DENSITY: usize = 128;
/// The low-pass cut-off (the filter's −6 dB point), in hertz.
const CUTOFF_HZ: f64 = 3600.0;
/// Kaiser window shape: about 80 dB of stop-band attenuation.
const KAISER_BETA: f64 = 8.0;
/// Input rates whose output instants fall on at most this many distinct fractions of an input
/// sample (8000 / gcd(rate, 8000): 1 for 16, 24 and 48 kHz, 80 for 44.1 kHz, 160 for
/// 22.05 kHz) keep one set of weights per fraction; other rates compute weights per sample.
const MAX_CACHED_PHASES: u64 = 320;

/// Downsamples 16-bit mono linear PCM at any rate from 8 kHz to 192 kHz to 8 kHz, for text-to-
/// speech audio on its way to a phone line; feed it chunks as they arrive.
///
/// It is a windowed-sinc low-pass filter evaluated at each output instant (band-limited
/// interpolation), so it handles integer ratios (16 kHz, 24 kHz, 48 kHz) and fractional ones
/// (22.05 kHz, 44.1 kHz) alike:
/// - cut-off 3.6 kHz (−6 dB); flat to 3.3 kHz, −0.3 dB at 3.4 kHz (the top of the telephone
///   band); over 60 dB down from 3.9 kHz and about 80 dB from 3.95 kHz, so nothing above the
///   new 4 kHz Nyquist frequency folds back into the call audio;
/// - a Kaiser-windowed sinc (β = 8) 64 output samples (8 ms) long, tabulated once and
///   linearly interpolated, scaled to the input rate;
/// - zero phase: output sample `n` is centred on input time `n / 8000` s, which needs 4 ms
///   of input beyond it before it can be produced;
/// - weights normalised to a sum of one, so DC passes unchanged;
/// - audio before the first sample and, at [`Downsampler::finish`], after the last is taken
///   as silence.
///
/// At 8 kHz in, samples pass through untouched. `N` input samples give
/// `ceil(N · 8000 / rate)` output samples in all.
#[derive(Debug, Clone)]
pub struct Downsampler {
    input_rate: u32,
    /// Input samples still needed; `buffer[0]` is input sample number `buffer_start`.
    buffer: Vec<f32>,
    buffer_start: u64,
    /// Input samples received so far.
    received: u64,
    /// The number of the next output sample.
    next_output: u64,
    /// Input samples per output sample.
    ratio: f64,
    /// Taps on each side of an output's centre, in input samples.
    reach: usize,
    /// gcd(input rate, 8000): output instants fall on multiples of `phase_step / 8000` of an
    /// input sample.
    phase_step: u64,
    /// Weights by phase (`fraction / phase_step`), when there are few phases.
    bank: Vec<Vec<f32>>,
    /// Weights of the current output, when they are not in `bank`.
    scratch: Vec<f32>,
}

impl Downsampler {
    /// The highest input rate accepted, in hertz.
    pub const MAX_INPUT_RATE: u32 = 192_000;

    /// A downsampler from `input_rate` hertz to 8 kHz.
    pub fn new(input_rate: u32) -> Result<Self, ResampleError> {
        if !(TELEPHONY_RATE..=Self::MAX_INPUT_RATE).contains(&input_rate) {
            return Err(ResampleError::UnsupportedRate(input_rate));
        }
        let ratio = f64::from(input_rate) / f64::from(TELEPHONY_RATE);
        let reach = (HALF_WIDTH as f64 * ratio).ceil() as usize;
        let phase_step = gcd(u64::from(input_rate), u64::from(TELEPHONY_RATE));
        let phases = u64::from(TELEPHONY_RATE) / phase_step;
        let bank = if input_rate == TELEPHONY_RATE || phases > MAX_CACHED_PHASES {
            Vec::new()
        } else {
            (0..phases)
                .map(|phase| {
                    let mut weights = Vec::new();
                    fill_weights(&mut weights, phase * phase_step, ratio, reach);
                    weights
                })
                .collect()
        };
        Ok(Self {
            input_rate,
            buffer: Vec::new(),
            buffer_start: 0,
            received: 0,
            next_output: 0,
            ratio,
            reach,
            phase_step,
            bank,
            scratch: Vec::new(),
        })
    }

    /// The input rate, in hertz.
    pub fn input_rate(&self) -> u32 {
        self.input_rate
    }

    /// Takes the next chunk of input and appends every 8 kHz sample it completes to `out`.
    pub fn process(&mut self, chunk: &[i16], out: &mut Vec<i16>) {
        self.received += chunk.len() as u64;
        if self.input_rate == TELEPHONY_RATE {
            out.extend_from_slice(chunk);
            return;
        }
        self.buffer.extend(chunk.iter().map(|&s| f32::from(s)));
        self.produce(false, out);
    }

    /// Ends the input (the rest is silence) and appends the remaining output to `out`.
    pub fn finish(mut self, out: &mut Vec<i16>) {
        if self.input_rate != TELEPHONY_RATE {
            self.produce(true, out);
        }
    }

    /// Where output sample `n` is centred: input sample `whole` plus `fraction / 8000`.
    fn position(&self, n: u64) -> (u64, u64) {
        let scaled = u128::from(n) * u128::from(self.input_rate);
        let rate = u128::from(TELEPHONY_RATE);
        ((scaled / rate) as u64, (scaled % rate) as u64)
    }

    fn produce(&mut self, finishing: bool, out: &mut Vec<i16>) {
        // Output count once the input has ended: ceil(received * 8000 / rate).
        let total = (u128::from(self.received) * u128::from(TELEPHONY_RATE))
            .div_ceil(u128::from(self.input_rate)) as u64;
        let reach = self.reach as u64;
        loop {
            let n = self.next_output;
            if finishing && n >= total {
                break;
            }
            let (whole, fraction) = self.position(n);
            if !finishing && whole + reach >= self.received {
                break;
            }
            let weights: &[f32] = if self.bank.is_empty() {
                fill_weights(&mut self.scratch, fraction, self.ratio, self.reach);
                &self.scratch
            } else {
                &self.bank[(fraction / self.phase_step) as usize]
            };
            // Tap `j` reads input `whole - reach + j`; inputs outside what was received are
            // silence.
            let first = whole as i64 - reach as i64;
            let low = first.max(self.buffer_start as i64);
            let high = (first + 2 * reach as i64).min(self.received as i64 - 1);
            let value = if low <= high {
                let taps = (low - first) as usize..=(high - first) as usize;
                let start = (low - self.buffer_start as i64) as usize;
                let samples = &self.buffer[start..=start + (high - low) as usize];
                dot(&weights[taps], samples)
            } else {
                0.0
            };
            out.push(
                value
                    .round()
                    .clamp(f32::from(i16::MIN), f32::from(i16::MAX)) as i16,
            );
            self.next_output += 1;
        }
        // Drop input no later output can reach.
        let keep_from = self.position(self.next_output).0.saturating_sub(reach);
        if keep_from > self.buffer_start {
            let drop = ((keep_from - self.buffer_start) as usize).min(self.buffer.len());
            self.buffer.drain(..drop);
            self.buffer_start += drop as u64;
        }
    }
}

/// Downsamples a whole clip of 16-bit mono PCM at `input_rate` hertz to 8 kHz
/// (see [`Downsampler`]).
pub fn downsample_to_8k(samples: &[i16], input_rate: u32) -> Result<Vec<i16>, ResampleError> {
    let mut resampler = Downsampler::new(input_rate)?;
    let mut out =
        Vec::with_capacity(samples.len() * TELEPHONY_RATE as usize / input_rate as usize + 1);
    resampler.process(samples, &mut out);
    resampler.finish(&mut out);
    Ok(out)
}

/// The `2·reach + 1` weights of an output centred `fraction / 8000` of an input sample after
/// an input sample, for taps `-reach..=reach` around that sample, summing to one.
fn fill_weights(weights: &mut Vec<f32>, fraction: u64, ratio: f64, reach: usize) {
    let table = kernel_table();
    let offset = fraction as f64 / f64::from(TELEPHONY_RATE);
    weights.clear();
    let raw: Vec<f64> = (0..=2 * reach)
        .map(|j| {
            let distance = (j as f64 - reach as f64 - offset).abs();
            kernel_at(table, distance / ratio)
        })
        .collect();
    let sum: f64 = raw.iter().sum();
    weights.extend(raw.iter().map(|w| (w / sum) as f32));
}

/// The dot product of two equally long slices, in eight lanes.
fn dot(a: &[f32], b: &[f32]) -> f32 {
    let mut lanes = [0.0f32; 8];
    let (a_chunks, b_chunks) = (a.chunks_exact(8), b.chunks_exact(8));
    let tail: f32 = a_chunks
        .remainder()
        .iter()
        .zip(b_chunks.remainder())
        .map(|(x, y)| x * y)
        .sum();
    for (x, y) in a_chunks.zip(b_chunks) {
        for ((lane, x), y) in lanes.iter_mut().zip(x).zip(y) {
            *lane += x * y;
        }
    }
    lanes.iter().sum::<f32>() + tail
}

fn gcd(mut a: u64, mut b: u64) -> u64 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

/// The filter kernel at distance `u` (in output samples) from its centre.
fn kernel_at(table: &[f32], u: f64) -> f64 {
    let position = u * TABLE_DENSITY as f64;
    let index = position.floor();
    if !(0.0..(HALF_WIDTH * TABLE_DENSITY) as f64).contains(&index) {
        return 0.0;
    }
    let i = index as usize;
    let fraction = position - index;
    match (table.get(i), table.get(i + 1)) {
        (Some(&a), Some(&b)) => f64::from(a) + (f64::from(b) - f64::from(a)) * fraction,
        _ => 0.0,
    }
}

/// One half of the Kaiser-windowed sinc, sampled [`TABLE_DENSITY`] times per output sample
/// from the centre to [`HALF_WIDTH`] output samples out (where it is zero).
fn kernel_table() -> &'static [f32] {
    static TABLE: OnceLock<Vec<f32>> = OnceLock::new();
    TABLE.get_or_init(|| {
        let cutoff = CUTOFF_HZ / f64::from(TELEPHONY_RATE); // cycles per output sample
        let points = HALF_WIDTH * TABLE_DENSITY;
        let window_norm = bessel_i0(KAISER_BETA);
        (0..=points)
            .map(|i| {
                let u = i as f64 / TABLE_DENSITY as f64;
                let x = u / HALF_WIDTH as f64;
                let window = bessel_i0(KAISER_BETA * (1.0 - x * x).max(0.0).sqrt()) / window_norm;
                let arg = 2.0 * cutoff * u;
                let sinc = if arg == 0.0 {
                    1.0
                } else {
                    (std::f64::consts::PI * arg).sin() / (std::f64::consts::PI * arg)
                };
                (2.0 * cutoff * sinc * window) as f32
            })
            .collect()
    })
}

/// The modified Bessel function of the first kind, order 0, by its power series.
fn bessel_i0(x: f64) -> f64 {
    let half = x / 2.0;
    let mut term = 1.0;
    let mut sum = 1.0;
    for k in 1..64 {
        term *= half / k as f64;
        let squared = term * term;
        sum += squared;
        if squared < sum * 1e-17 {
            break;
        }
    }
    sum
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine as _;

    /// The μ-law expansion table as published with G.711 implementations (index = code).
    #[rustfmt::skip]
    const PUBLISHED_DECODE: [i16; 256] = [
        -32124, -31100, -30076, -29052, -28028, -27004, -25980, -24956,
        -23932, -22908, -21884, -20860, -19836, -18812, -17788, -16764,
        -15996, -15484, -14972, -14460, -13948, -13436, -12924, -12412,
        -11900, -11388, -10876, -10364,  -9852,  -9340,  -8828,  -8316,
         -7932,  -7676,  -7420,  -7164,  -6908,  -6652,  -6396,  -6140,
         -5884,  -5628,  -5372,  -5116,  -4860,  -4604,  -4348,  -4092,
         -3900,  -3772,  -3644,  -3516,  -3388,  -3260,  -3132,  -3004,
         -2876,  -2748,  -2620,  -2492,  -2364,  -2236,  -2108,  -1980,
         -1884,  -1820,  -1756,  -1692,  -1628,  -1564,  -1500,  -1436,
         -1372,  -1308,  -1244,  -1180,  -1116,  -1052,   -988,   -924,
          -876,   -844,   -812,   -780,   -748,   -716,   -684,   -652,
          -620,   -588,   -556,   -524,   -492,   -460,   -428,   -396,
          -372,   -356,   -340,   -324,   -308,   -292,   -276,   -260,
          -244,   -228,   -212,   -196,   -180,   -164,   -148,   -132,
          -120,   -112,   -104,    -96,    -88,    -80,    -72,    -64,
           -56,    -48,    -40,    -32,    -24,    -16,     -8,      0,
         32124,  31100,  30076,  29052,  28028,  27004,  25980,  24956,
         23932,  22908,  21884,  20860,  19836,  18812,  17788,  16764,
         15996,  15484,  14972,  14460,  13948,  13436,  12924,  12412,
         11900,  11388,  10876,  10364,   9852,   9340,   8828,   8316,
          7932,   7676,   7420,   7164,   6908,   6652,   6396,   6140,
          5884,   5628,   5372,   5116,   4860,   4604,   4348,   4092,
          3900,   3772,   3644,   3516,   3388,   3260,   3132,   3004,
          2876,   2748,   2620,   2492,   2364,   2236,   2108,   1980,
          1884,   1820,   1756,   1692,   1628,   1564,   1500,   1436,
          1372,   1308,   1244,   1180,   1116,   1052,    988,    924,
           876,    844,    812,    780,    748,    716,    684,    652,
           620,    588,    556,    524,    492,    460,    428,    396,
           372,    356,    340,    324,    308,    292,    276,    260,
           244,    228,    212,    196,    180,    164,    148,    132,
           120,    112,    104,     96,     88,     80,     72,     64,
            56,     48,     40,     32,     24,     16,      8,      0,
    ];

    /// The lowest 14-bit magnitude of G.711 μ-law interval `step` of `segment`: segment `s`
    /// starts at decision level `32·2^s − 33` (−1, 31, 95, 223, 479, 991, 2015, 4063) and
    /// its sixteen intervals are `2^(s+1)` wide.
    fn interval_start(segment: u32, step: u32) -> i32 {
        (32 + 2 * step as i32) * (1 << segment) - 33
    }

    /// The decoder output on the 14-bit scale (0..=8031): the middle of the interval,
    /// computed independently of `expand`.
    fn g711_value_14bit(segment: u32, step: u32) -> i32 {
        interval_start(segment, step) + (1 << segment)
    }

    #[test]
    fn decodes_the_reference_values() {
        assert_eq!(decode(0xFF), 0);
        assert_eq!(decode(0x7F), 0);
        assert_eq!(decode(0x00), -32124);
        assert_eq!(decode(0x80), 32124);
        assert_eq!(decode(0xFE), 8);
        assert_eq!(decode(0x7E), -8);
        assert_eq!(decode(0xF0), 120);
        assert_eq!(decode(0xEF), 132);
    }

    #[test]
    fn full_decode_table_matches_the_published_table_and_the_g711_formula() {
        for code in 0..=255u8 {
            assert_eq!(
                decode(code),
                PUBLISHED_DECODE[usize::from(code)],
                "code {code:#04x}"
            );
            let inverted = !code;
            let segment = u32::from((inverted >> 4) & 7);
            let step = u32::from(inverted & 0x0F);
            let magnitude = 4 * g711_value_14bit(segment, step);
            let expected = if code & 0x80 != 0 {
                magnitude
            } else {
                -magnitude
            };
            assert_eq!(i32::from(decode(code)), expected, "code {code:#04x}");
        }
    }

    #[test]
    fn encodes_silence_and_full_scale() {
        assert_eq!(encode(0), 0xFF);
        assert_eq!(encode(1), 0xFF);
        assert_eq!(encode(3), 0xFF);
        assert_eq!(encode(-1), 0x7F);
        assert_eq!(encode(-4), 0x7F);
        assert_eq!(encode(32767), 0x80);
        assert_eq!(encode(-32768), 0x00);
        assert_eq!(encode(32124), 0x80);
        assert_eq!(encode(-32124), 0x00);
        // The codes a media-stream test sends as its audio.
        assert_eq!(
            encode_slice(&[0, 1000, -1000, 32767, -32768]),
            [0xFF, 0xCE, 0x4E, 0x80, 0x00]
        );
    }

    #[test]
    fn encodes_each_segment_boundary() {
        // First 16-bit input of each positive segment (the 14-bit decision levels
        // 0, 31, 95, 223, 479, 991, 2015, 4063 times four) and the input just below it.
        let boundaries: [(i16, u8, u8); 8] = [
            (0, 0xFF, 0xFF),
            (124, 0xF0, 0xEF),
            (380, 0xE0, 0xDF),
            (892, 0xD0, 0xCF),
            (1916, 0xC0, 0xBF),
            (3964, 0xB0, 0xAF),
            (8060, 0xA0, 0x9F),
            (16252, 0x90, 0x8F),
        ];
        for (first, below_code, code) in boundaries {
            assert_eq!(encode(first), code, "first input of the segment, {first}");
            if first > 0 {
                assert_eq!(encode(first - 1), below_code, "just below {first}");
            }
            // Negative side: `-1 - x` mirrors `x`.
            assert_eq!(encode(-1 - first), code & 0x7F, "mirror of {first}");
        }
        // The top interval starts at 14-bit magnitude 7903 and runs to the 8159 overload
        // point; everything louder clips into it.
        assert_eq!(encode(31611), 0x81);
        assert_eq!(encode(31612), 0x80);
        assert_eq!(encode(32635), 0x80);
        assert_eq!(encode(-31612), 0x01);
        assert_eq!(encode(-31613), 0x00);
    }

    #[test]
    fn every_code_but_negative_zero_survives_a_round_trip() {
        for code in 0..=255u8 {
            let back = encode(decode(code));
            if code == 0x7F {
                // Negative zero decodes to 0, which encodes as positive zero.
                assert_eq!(back, 0xFF);
            } else {
                assert_eq!(back, code, "code {code:#04x}");
            }
        }
    }

    #[test]
    fn encode_picks_the_interval_holding_the_sample() {
        // Every non-negative 16-bit sample: its code's decision interval, computed from the
        // segment table, must contain the 14-bit magnitude.
        for sample in 0..=i16::MAX {
            let code = encode(sample);
            assert!(code & 0x80 != 0, "positive sample {sample} lost its sign");
            let inverted = !code;
            let segment = u32::from((inverted >> 4) & 7);
            let step = u32::from(inverted & 0x0F);
            // Magnitudes past the 8159 overload point clip into the top interval.
            let magnitude = i32::from(sample >> 2).min(8158);
            let low = interval_start(segment, step);
            let high = low + (2 << segment);
            assert!(
                (low..high).contains(&magnitude),
                "sample {sample} coded {code:#04x}: {magnitude} not in {low}..{high}"
            );
        }
    }

    #[test]
    fn negative_samples_mirror_positive_ones() {
        for sample in 0..=i16::MAX {
            assert_eq!(
                encode(-1 - sample),
                encode(sample) & 0x7F,
                "sample {sample}"
            );
        }
    }

    #[test]
    fn encoding_and_decoding_are_monotonic() {
        // Codes in ascending order of value: 0x00..=0x7F, then 0xFF down to 0x80.
        let ascending: Vec<u8> = (0x00..=0x7F).chain((0x80..=0xFF).rev()).collect();
        for pair in ascending.windows(2) {
            assert!(decode(pair[0]) <= decode(pair[1]), "{pair:?}");
        }
        let mut previous = decode(encode(i16::MIN));
        for sample in i16::MIN..=i16::MAX {
            let value = decode(encode(sample));
            assert!(value >= previous, "not monotonic at {sample}");
            previous = value;
        }
    }

    #[test]
    fn quantisation_error_stays_within_half_a_step() {
        for sample in -32635..=32635i32 {
            let sample = sample as i16;
            let decoded = i32::from(decode(encode(sample)));
            let inverted = !encode(sample);
            let segment = (inverted >> 4) & 7;
            // Half a step (2^segment on the 14-bit scale) plus the dropped low bits.
            let bound = 4 * (1i32 << segment) + 4;
            assert!(
                (decoded - i32::from(sample)).abs() <= bound,
                "sample {sample} decoded {decoded}"
            );
        }
    }

    #[test]
    fn slice_helpers_match_the_sample_functions() {
        let samples = [0i16, 1, -1, 1000, -1000, 32767, -32768, 124, -125];
        let codes = encode_slice(&samples);
        assert_eq!(codes, samples.map(encode).to_vec());
        assert_eq!(
            decode_slice(&codes),
            codes.iter().map(|&c| decode(c)).collect::<Vec<_>>()
        );
        let mut appended = vec![SILENCE];
        encode_into(&samples, &mut appended);
        assert_eq!(appended.len(), samples.len() + 1);
        assert_eq!(&appended[1..], codes.as_slice());
        let mut decoded = vec![7i16];
        decode_into(&codes, &mut decoded);
        assert_eq!(decoded[0], 7);
        assert_eq!(decoded[1..], decode_slice(&codes)[..]);
    }

    fn replay_frames() -> Vec<Vec<u8>> {
        let replay = include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../twilio/tests/fixtures/twilio-media-streams/replay_testing-websocket_mulaw8k.jsonl"
        ));
        replay
            .lines()
            .filter_map(|line| {
                let message: serde_json::Value = serde_json::from_str(line).unwrap();
                let payload = message["media"]["payload"].as_str()?;
                Some(
                    base64::engine::general_purpose::STANDARD
                        .decode(payload)
                        .unwrap(),
                )
            })
            .collect()
    }

    fn energy(samples: &[i16]) -> f64 {
        samples.iter().map(|&s| f64::from(s).powi(2)).sum::<f64>() / samples.len() as f64
    }

    #[test]
    fn decodes_the_recorded_media_stream() {
        let frames = replay_frames();
        assert_eq!(frames.len(), 234);
        assert!(frames.iter().all(|f| f.len() == FRAME_BYTES_20MS));
        let decoded: Vec<Vec<i16>> = frames.iter().map(|f| decode_slice(f)).collect();
        // The recording opens on digital silence: every byte 0xFF, every sample 0.
        assert!(frames[0].iter().all(|&b| b == SILENCE));
        assert_eq!(energy(&decoded[0]), 0.0);
        // Speech ("Testing. 123. Testing. 123.") fills most of it: well above the silence.
        let rms: Vec<f64> = decoded.iter().map(|f| energy(f).sqrt()).collect();
        let loud = rms.iter().filter(|&&r| r > 300.0).count();
        assert!(loud >= 60, "only {loud} speech frames");
        let peak = rms.iter().cloned().fold(0.0, f64::max);
        assert!(peak > 1000.0, "peak frame RMS {peak}");
        // The audio is μ-law proper: decoding and re-encoding gives the same bytes
        // (bar negative zero, which re-encodes as positive zero).
        for frame in &frames {
            for &code in frame {
                let back = encode(decode(code));
                assert!(back == code || (code == 0x7F && back == 0xFF));
            }
        }
        // The whole clip is 234 × 20 ms = 4.68 s of 8 kHz audio.
        let total: usize = decoded.iter().map(Vec::len).sum();
        assert_eq!(total, 37_440);
        assert_eq!(total as f64 / f64::from(TELEPHONY_RATE), 4.68);
    }

    fn sine(rate: u32, freq: f64, amplitude: f64, seconds: f64) -> Vec<i16> {
        let count = (f64::from(rate) * seconds) as usize;
        (0..count)
            .map(|i| {
                let t = i as f64 / f64::from(rate);
                (amplitude * (2.0 * std::f64::consts::PI * freq * t).sin()).round() as i16
            })
            .collect()
    }

    fn rms(samples: &[i16]) -> f64 {
        energy(samples).sqrt()
    }

    /// The middle of a signal, away from the filter's start and end transients.
    fn middle(samples: &[i16]) -> &[i16] {
        &samples[HALF_WIDTH * 2..samples.len() - HALF_WIDTH * 2]
    }

    /// Common TTS rates, plus one (12 345 Hz, 1600 phases) whose weights are not cached.
    const RATES: [u32; 8] = [
        11_025, 12_345, 16_000, 22_050, 24_000, 44_100, 48_000, 96_000,
    ];

    #[test]
    fn rejects_rates_it_cannot_downsample() {
        for rate in [0, 7999, 192_001] {
            assert_eq!(
                Downsampler::new(rate).unwrap_err(),
                ResampleError::UnsupportedRate(rate)
            );
            assert!(downsample_to_8k(&[1, 2, 3], rate).is_err());
        }
        assert_eq!(Downsampler::new(192_000).unwrap().input_rate(), 192_000);
    }

    #[test]
    fn passes_8k_through_untouched() {
        let samples = sine(8000, 440.0, 12_000.0, 0.1);
        assert_eq!(downsample_to_8k(&samples, 8000).unwrap(), samples);
    }

    #[test]
    fn output_length_is_input_duration_at_8k() {
        for (rate, count, expected) in [
            (16_000, 16_000, 8000),
            (24_000, 24_000, 8000),
            (48_000, 480, 80),
            (44_100, 44_100, 8000),
            (16_000, 3, 2),
            (24_000, 1, 1),
            (44_100, 100, 19),
            (16_000, 0, 0),
        ] {
            let out = downsample_to_8k(&vec![0; count], rate).unwrap();
            assert_eq!(out.len(), expected, "{count} samples at {rate} Hz");
        }
    }

    #[test]
    fn keeps_dc_level() {
        for rate in RATES {
            let out = downsample_to_8k(&vec![10_000; rate as usize / 10], rate).unwrap();
            for &s in middle(&out) {
                assert!((i32::from(s) - 10_000).abs() <= 1, "{s} at {rate} Hz");
            }
        }
    }

    #[test]
    fn keeps_speech_band_tones_in_amplitude_and_phase() {
        for rate in RATES {
            for freq in [300.0, 1000.0, 2500.0] {
                let input = sine(rate, freq, 10_000.0, 0.25);
                let out = downsample_to_8k(&input, rate).unwrap();
                let ideal = sine(8000, freq, 10_000.0, 0.25);
                let worst = middle(&out)
                    .iter()
                    .zip(middle(&ideal))
                    .map(|(&a, &b)| (i32::from(a) - i32::from(b)).abs())
                    .max()
                    .unwrap();
                // Within 0.05% of the amplitude, sample by sample: same gain, no delay.
                assert!(worst <= 5, "{freq} Hz at {rate} Hz: off by {worst}");
            }
        }
    }

    #[test]
    fn keeps_the_top_of_the_telephone_band() {
        for rate in RATES {
            for (freq, tolerance_db) in [(3000.0, 0.05), (3300.0, 0.05), (3400.0, 0.5)] {
                let input = sine(rate, freq, 10_000.0, 0.25);
                let out = downsample_to_8k(&input, rate).unwrap();
                let gain_db = 20.0 * (rms(middle(&out)) / (10_000.0 / 2f64.sqrt())).log10();
                assert!(
                    gain_db.abs() < tolerance_db,
                    "{freq} Hz at {rate} Hz: {gain_db:.2} dB"
                );
            }
        }
    }

    #[test]
    fn removes_tones_above_4k_instead_of_folding_them_back() {
        for rate in [12_345, 16_000, 24_000, 44_100, 48_000] {
            for freq in [4100.0, 4500.0, 5000.0, 6000.0] {
                let input = sine(rate, freq, 20_000.0, 0.25);
                let out = downsample_to_8k(&input, rate).unwrap();
                let level_db = 20.0 * (rms(middle(&out)) / (20_000.0 / 2f64.sqrt())).log10();
                assert!(level_db < -70.0, "{freq} Hz at {rate} Hz: {level_db:.1} dB");
            }
        }
    }

    #[test]
    fn chunked_input_gives_the_same_output_as_one_clip() {
        for rate in RATES {
            let input = sine(rate, 700.0, 8000.0, 0.2);
            let whole = downsample_to_8k(&input, rate).unwrap();
            let mut resampler = Downsampler::new(rate).unwrap();
            let mut out = Vec::new();
            let mut rest = input.as_slice();
            let mut size = 1;
            while !rest.is_empty() {
                let take = size.min(rest.len());
                resampler.process(&rest[..take], &mut out);
                rest = &rest[take..];
                size = size * 7 % 513 + 1;
            }
            resampler.finish(&mut out);
            assert_eq!(out, whole, "{rate} Hz");
        }
    }

    #[test]
    fn cached_and_computed_weights_agree() {
        for rate in [16_000, 22_050, 44_100] {
            let cached = Downsampler::new(rate).unwrap();
            assert!(!cached.bank.is_empty(), "{rate} Hz");
            let mut computed = cached.clone();
            computed.bank.clear();
            let input = sine(rate, 1234.0, 9000.0, 0.1);
            let (mut a, mut b) = (Vec::new(), Vec::new());
            for (resampler, out) in [(cached, &mut a), (computed, &mut b)] {
                let mut resampler = resampler;
                resampler.process(&input, out);
                resampler.finish(out);
            }
            assert_eq!(a, b, "{rate} Hz");
        }
        assert!(Downsampler::new(12_345).unwrap().bank.is_empty());
        assert_eq!(Downsampler::new(44_100).unwrap().bank.len(), 80);
        assert_eq!(Downsampler::new(48_000).unwrap().bank.len(), 1);
    }

    #[test]
    fn streams_with_a_short_look_ahead_and_bounded_memory() {
        let mut resampler = Downsampler::new(16_000).unwrap();
        let mut out = Vec::new();
        // 20 ms chunks of a long clip.
        let input = sine(16_000, 440.0, 8000.0, 2.0);
        for chunk in input.chunks(320) {
            resampler.process(chunk, &mut out);
            // Output lags the input by no more than the 4 ms look-ahead plus one chunk.
            let produced_ms = out.len() as f64 / 8.0;
            let consumed_ms = resampler.received as f64 / 16.0;
            assert!(
                consumed_ms - produced_ms <= 4.0 + 1.0,
                "{consumed_ms} vs {produced_ms}"
            );
            assert!(resampler.buffer.len() <= 2 * HALF_WIDTH * 2 + 320 + 2);
        }
        resampler.finish(&mut out);
        assert_eq!(out.len(), 16_000);
    }

    #[test]
    fn full_scale_square_waves_clip_instead_of_wrapping() {
        let input: Vec<i16> = (0..4800)
            .map(|i| {
                if (i / 24) % 2 == 0 {
                    i16::MAX
                } else {
                    i16::MIN
                }
            })
            .collect();
        let out = downsample_to_8k(&input, 48_000).unwrap();
        // 1 kHz square at full scale: the fundamental (4/π · 32767) exceeds full scale, so
        // peaks clip; nothing may wrap round to the opposite sign.
        let peak = out.iter().map(|&s| i32::from(s).abs()).max().unwrap();
        assert!(peak >= 32_767);
        for pair in middle(&out).windows(2) {
            assert!(
                (i32::from(pair[0]) - i32::from(pair[1])).abs() < 40_000,
                "{pair:?}"
            );
        }
    }

    #[test]
    fn downsampled_speech_codes_to_mulaw_and_back() {
        // A TTS-like 24 kHz tone, downsampled and coded for the line, keeps its level.
        let input = sine(24_000, 440.0, 6000.0, 0.2);
        let line = encode_slice(&downsample_to_8k(&input, 24_000).unwrap());
        assert_eq!(line.len(), 1600);
        let back = decode_slice(&line);
        let level = rms(middle(&back));
        assert!((level - 6000.0 / 2f64.sqrt()).abs() < 60.0, "{level}");
    }
}
