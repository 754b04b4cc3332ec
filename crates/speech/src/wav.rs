//! Phone-line audio as a WAV file a browser plays: 16-bit PCM, which every browser decodes
//! (μ-law WAV, which Twilio plays, is not decoded by all of them).

use crate::mulaw;

/// 8 kHz μ-law audio as a mono 16-bit PCM WAV file at 8 kHz.
pub fn pcm16_from_mulaw(audio: &[u8]) -> Vec<u8> {
    let samples = mulaw::decode_slice(audio);
    let data_bytes = u32::try_from(samples.len() * 2).unwrap_or(u32::MAX - 44);
    let mut wav = Vec::with_capacity(44 + samples.len() * 2);
    wav.extend_from_slice(b"RIFF");
    wav.extend_from_slice(&(36 + data_bytes).to_le_bytes());
    wav.extend_from_slice(b"WAVEfmt ");
    wav.extend_from_slice(&16u32.to_le_bytes());
    wav.extend_from_slice(&1u16.to_le_bytes()); // PCM
    wav.extend_from_slice(&1u16.to_le_bytes()); // mono
    wav.extend_from_slice(&8000u32.to_le_bytes());
    wav.extend_from_slice(&16000u32.to_le_bytes()); // bytes per second
    wav.extend_from_slice(&2u16.to_le_bytes()); // block align
    wav.extend_from_slice(&16u16.to_le_bytes()); // bits per sample
    wav.extend_from_slice(b"data");
    wav.extend_from_slice(&data_bytes.to_le_bytes());
    for sample in samples.iter().take(data_bytes as usize / 2) {
        wav.extend_from_slice(&sample.to_le_bytes());
    }
    wav
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_header_describes_the_samples() {
        let audio = mulaw::encode_slice(&[0, 1000, -1000, 32000]);
        let wav = pcm16_from_mulaw(&audio);
        assert_eq!(&wav[0..4], b"RIFF");
        assert_eq!(u32::from_le_bytes([wav[4], wav[5], wav[6], wav[7]]), 36 + 8);
        assert_eq!(&wav[36..40], b"data");
        assert_eq!(u32::from_le_bytes([wav[40], wav[41], wav[42], wav[43]]), 8);
        assert_eq!(wav.len(), 44 + 8);
        let second = i16::from_le_bytes([wav[46], wav[47]]);
        assert!((second - 1000).abs() < 40, "decoded {second}");
    }
}
