//! Speech from eSpeak NG, the local synthesizer that is always available: it needs no account
//! and no network, so it is the voice of last resort when a cloud voice fails, and the voice
//! of tests and demos.
//!
//! `espeak-ng -v <voice> --stdout --stdin -b 1` reads the text (UTF-8) from its standard
//! input and writes a RIFF WAV file (16-bit PCM, mono, 22 050 Hz) to its standard output.
//! Written to a pipe, that WAV's size fields are placeholders (`0x7FFFF000` and the like)
//! rather than the real sizes, so the data chunk is taken as running to the end of the
//! output. The audio is then brought down to 8 kHz ([`super::mulaw::Downsampler`]) and
//! coded as G.711 μ-law for the phone line. No shell is involved: the text never reaches a
//! command line.

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use tokio::io::AsyncWriteExt;
use tokio::process::Command;

use super::mulaw;

/// How long one synthesis may take before the process is killed.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// The eSpeak NG voice for a BCP-47 language tag: `cmn` (Mandarin) for Chinese, `en-us` for
/// English, otherwise the primary language subtag (`es-MX` → `es`).
pub fn default_voice(language: &str) -> String {
    let primary = language
        .split(['-', '_'])
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    match primary.as_str() {
        "zh" | "cmn" => "cmn".to_string(),
        "en" | "" => "en-us".to_string(),
        other => other.to_string(),
    }
}

/// Whether `voice` looks like an eSpeak NG voice name (`en-us`, `cmn`, `en-us+f3`,
/// `mb/mb-en1`): letters, digits and `-_+/`, not starting with `-`.
pub fn is_valid_voice(voice: &str) -> bool {
    !voice.is_empty()
        && voice.len() <= 64
        && !voice.starts_with('-')
        && voice
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '+' | '/'))
}

/// Why eSpeak NG produced no audio.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EspeakError {
    /// The program is not installed (or not where it was said to be).
    #[error("espeak-ng is not installed: cannot run {program:?} ({reason})")]
    NotInstalled {
        /// The program that was run.
        program: String,
        /// The operating system's reason.
        reason: String,
    },
    /// eSpeak NG has no such voice.
    #[error("espeak-ng has no voice {voice:?}{}", detail(.message))]
    UnknownVoice {
        /// The voice asked for.
        voice: String,
        /// What espeak-ng said, if anything.
        message: String,
    },
    /// The process failed.
    #[error("espeak-ng failed ({status}){}", detail(.stderr))]
    Failed {
        /// How the process ended.
        status: String,
        /// What it printed on its error output.
        stderr: String,
    },
    /// The process ran past the time limit and was killed.
    #[error("espeak-ng took longer than {} s and was stopped", .0.as_secs())]
    Timeout(Duration),
    /// The process could not be talked to.
    #[error("cannot run espeak-ng: {0}")]
    Io(String),
    /// The process printed something that is not the expected WAV audio.
    #[error("espeak-ng printed unusable audio: {0}")]
    BadAudio(#[from] WavError),
}

fn detail(text: &str) -> String {
    if text.is_empty() {
        String::new()
    } else {
        format!(": {text}")
    }
}

/// Synthesizes `text` with eSpeak NG voice `voice` and returns it as 8 kHz μ-law, ready for
/// the phone line. `program` is the path or name of `espeak-ng`; the process is killed when
/// it takes longer than `timeout` (or when the returned future is dropped).
pub async fn synthesize(
    program: &Path,
    voice: &str,
    text: &str,
    timeout: Duration,
) -> Result<Vec<u8>, EspeakError> {
    if !is_valid_voice(voice) {
        return Err(EspeakError::UnknownVoice {
            voice: voice.to_string(),
            message: "not a voice name".to_string(),
        });
    }
    let mut child = Command::new(program)
        .args(["-v", voice, "--stdout", "--stdin", "-b", "1"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|err| {
            if err.kind() == std::io::ErrorKind::NotFound {
                EspeakError::NotInstalled {
                    program: program.display().to_string(),
                    reason: err.to_string(),
                }
            } else {
                EspeakError::Io(err.to_string())
            }
        })?;
    let stdin = child.stdin.take();
    let feed = async move {
        if let Some(mut stdin) = stdin {
            // A process that already quit (an unknown voice) closes its input; its exit
            // status says why, so a failed write is not the error to report.
            let _ = stdin.write_all(text.as_bytes()).await;
            let _ = stdin.write_all(b"\n").await;
            let _ = stdin.shutdown().await;
        }
    };
    let run = async {
        let ((), output) = tokio::join!(feed, child.wait_with_output());
        output
    };
    let output = tokio::time::timeout(timeout, run)
        .await
        .map_err(|_| EspeakError::Timeout(timeout))?
        .map_err(|err| EspeakError::Io(err.to_string()))?;
    let stderr = String::from_utf8_lossy(&output.stderr).trim().to_string();
    if !output.status.success() {
        if stderr.contains("voice does not exist") || stderr.contains("Failed to read voice") {
            return Err(EspeakError::UnknownVoice {
                voice: voice.to_string(),
                message: stderr,
            });
        }
        return Err(EspeakError::Failed {
            status: output.status.to_string(),
            stderr,
        });
    }
    let wav = parse_wav(&output.stdout)?;
    let samples = mulaw::downsample_to_8k(&wav.samples, wav.sample_rate)
        .map_err(|err| WavError::Unsupported(err.to_string()))?;
    Ok(mulaw::encode_slice(&samples))
}

/// Linear PCM audio read from a WAV file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Wav {
    /// Samples per second.
    pub sample_rate: u32,
    /// The samples, 16-bit mono (several channels are mixed down).
    pub samples: Vec<i16>,
}

/// Why bytes are not a usable WAV file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WavError {
    /// No RIFF/WAVE header.
    #[error("not a WAV file (no RIFF/WAVE header)")]
    NotWav,
    /// A chunk header is cut off, or the format chunk is too short.
    #[error("the WAV file is cut off in its {0}")]
    Truncated(&'static str),
    /// No `fmt ` chunk before the audio.
    #[error("the WAV file has no format chunk before its audio")]
    NoFormat,
    /// No `data` chunk.
    #[error("the WAV file has no audio data chunk")]
    NoData,
    /// A format other than 16-bit linear PCM.
    #[error("unsupported WAV audio: {0}")]
    Unsupported(String),
}

const WAVE_FORMAT_PCM: u16 = 1;
const WAVE_FORMAT_EXTENSIBLE: u16 = 0xFFFE;

fn u16_at(bytes: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(bytes.get(at..at + 2)?.try_into().ok()?))
}

fn u32_at(bytes: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(bytes.get(at..at + 4)?.try_into().ok()?))
}

/// Reads a RIFF WAV file of 16-bit linear PCM. Streamed WAVs (written before their length
/// was known) are accepted: a data chunk whose size is 0, or larger than what follows, runs
/// to the end of the bytes; the RIFF size is not relied on at all. A trailing odd byte is
/// dropped.
pub fn parse_wav(bytes: &[u8]) -> Result<Wav, WavError> {
    if bytes.len() < 12 || &bytes[0..4] != b"RIFF" || &bytes[8..12] != b"WAVE" {
        return Err(WavError::NotWav);
    }
    let mut at = 12;
    let mut format: Option<(u16, u32)> = None; // (channels, sample rate)
    while at < bytes.len() {
        let (Some(id), Some(size)) = (bytes.get(at..at + 4), u32_at(bytes, at + 4)) else {
            return Err(WavError::Truncated("chunk header"));
        };
        let body_start = at + 8;
        let remaining = bytes.len() - body_start;
        match id {
            b"fmt " => {
                let size = size as usize;
                if size < 16 || size > remaining {
                    return Err(WavError::Truncated("format chunk"));
                }
                let field = |offset| u16_at(bytes, body_start + offset).unwrap_or_default();
                let tag = field(0);
                let channels = field(2);
                let rate = u32_at(bytes, body_start + 4).unwrap_or_default();
                let bits = field(14);
                let pcm = tag == WAVE_FORMAT_PCM
                    || (tag == WAVE_FORMAT_EXTENSIBLE
                        && size >= 40
                        && u16_at(bytes, body_start + 24) == Some(WAVE_FORMAT_PCM));
                if !pcm {
                    return Err(WavError::Unsupported(format!("format tag {tag:#06x}")));
                }
                if bits != 16 {
                    return Err(WavError::Unsupported(format!("{bits}-bit samples")));
                }
                if channels == 0 || rate == 0 {
                    return Err(WavError::Unsupported(format!(
                        "{channels} channels at {rate} Hz"
                    )));
                }
                format = Some((channels, rate));
                at = body_start + size + (size & 1);
            }
            b"data" => {
                let (channels, sample_rate) = format.ok_or(WavError::NoFormat)?;
                let size = size as usize;
                let length = if size == 0 || size > remaining {
                    remaining
                } else {
                    size
                };
                let data = &bytes[body_start..body_start + length];
                let channels = usize::from(channels);
                let frame = 2 * channels;
                let samples = data
                    .chunks_exact(frame)
                    .map(|frame| {
                        let sum: i32 = frame
                            .chunks_exact(2)
                            .map(|s| i32::from(i16::from_le_bytes([s[0], s[1]])))
                            .sum();
                        (sum / channels as i32) as i16
                    })
                    .collect();
                return Ok(Wav {
                    sample_rate,
                    samples,
                });
            }
            _ => {
                // LIST, fact and other chunks carry nothing needed here.
                let size = size as usize;
                at = body_start.saturating_add(size).saturating_add(size & 1);
            }
        }
    }
    Err(WavError::NoData)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(fmt: &[u8], data_size: u32) -> Vec<u8> {
        let mut wav = b"RIFF".to_vec();
        wav.extend(0u32.to_le_bytes());
        wav.extend(b"WAVE");
        wav.extend(b"fmt ");
        wav.extend((fmt.len() as u32).to_le_bytes());
        wav.extend(fmt);
        wav.extend(b"data");
        wav.extend(data_size.to_le_bytes());
        wav
    }

    fn pcm_format(channels: u16, rate: u32, bits: u16) -> Vec<u8> {
        let mut fmt = Vec::new();
        fmt.extend(1u16.to_le_bytes());
        fmt.extend(channels.to_le_bytes());
        fmt.extend(rate.to_le_bytes());
        fmt.extend((rate * u32::from(channels) * u32::from(bits / 8)).to_le_bytes());
        fmt.extend((channels * bits / 8).to_le_bytes());
        fmt.extend(bits.to_le_bytes());
        fmt
    }

    fn samples_bytes(samples: &[i16]) -> Vec<u8> {
        samples.iter().flat_map(|s| s.to_le_bytes()).collect()
    }

    #[test]
    fn reads_a_complete_wav() {
        let samples = [0i16, 1000, -1000, i16::MAX, i16::MIN];
        let mut wav = header(&pcm_format(1, 22_050, 16), 10);
        wav.extend(samples_bytes(&samples));
        let parsed = parse_wav(&wav).unwrap();
        assert_eq!(parsed.sample_rate, 22_050);
        assert_eq!(parsed.samples, samples);
    }

    #[test]
    fn a_data_size_stops_the_audio_before_later_chunks() {
        let mut wav = header(&pcm_format(1, 16_000, 16), 4);
        wav.extend(samples_bytes(&[5, 6]));
        wav.extend(b"LIST");
        wav.extend(4u32.to_le_bytes());
        wav.extend(b"abcd");
        assert_eq!(parse_wav(&wav).unwrap().samples, [5, 6]);
    }

    #[test]
    fn reads_streamed_wavs_whose_sizes_are_placeholders() {
        // What espeak-ng prints to a pipe: sizes 0x7FFFF000 / 0xFFFFFFFF / 0.
        for placeholder in [0x7FFF_F000u32, u32::MAX, 0] {
            let mut wav = header(&pcm_format(1, 22_050, 16), placeholder);
            wav[4..8].copy_from_slice(&placeholder.to_le_bytes());
            wav.extend(samples_bytes(&[7, -7, 300]));
            wav.push(0x12); // half a sample at the end is dropped
            let parsed = parse_wav(&wav).unwrap();
            assert_eq!(parsed.samples, [7, -7, 300], "size {placeholder:#x}");
        }
    }

    #[test]
    fn mixes_stereo_down_and_skips_unknown_chunks() {
        let mut wav = b"RIFF\0\0\0\0WAVE".to_vec();
        wav.extend(b"junk");
        wav.extend(3u32.to_le_bytes());
        wav.extend(b"xyz\0"); // odd size, padded
        wav.extend(b"fmt ");
        wav.extend(16u32.to_le_bytes());
        wav.extend(pcm_format(2, 44_100, 16));
        wav.extend(b"data");
        wav.extend(8u32.to_le_bytes());
        wav.extend(samples_bytes(&[100, 300, -50, -150]));
        let parsed = parse_wav(&wav).unwrap();
        assert_eq!(parsed.sample_rate, 44_100);
        assert_eq!(parsed.samples, [200, -100]);
    }

    #[test]
    fn rejects_what_it_cannot_read() {
        assert_eq!(parse_wav(b""), Err(WavError::NotWav));
        assert_eq!(parse_wav(b"RIFF\0\0\0\0AVI LIST"), Err(WavError::NotWav));
        assert_eq!(parse_wav(b"RIFF\0\0\0\0WAVE"), Err(WavError::NoData));
        assert_eq!(
            parse_wav(b"RIFF\0\0\0\0WAVEfmt "),
            Err(WavError::Truncated("chunk header"))
        );
        let mut short_fmt = b"RIFF\0\0\0\0WAVEfmt ".to_vec();
        short_fmt.extend(16u32.to_le_bytes());
        short_fmt.extend([1, 0, 1, 0]);
        assert_eq!(
            parse_wav(&short_fmt),
            Err(WavError::Truncated("format chunk"))
        );
        let mut no_fmt = b"RIFF\0\0\0\0WAVEdata".to_vec();
        no_fmt.extend(2u32.to_le_bytes());
        no_fmt.extend([0, 0]);
        assert_eq!(parse_wav(&no_fmt), Err(WavError::NoFormat));
        let eight_bit = header(&pcm_format(1, 8000, 8), 0);
        assert!(matches!(
            parse_wav(&eight_bit),
            Err(WavError::Unsupported(m)) if m.contains("8-bit")
        ));
        let mut float = pcm_format(1, 8000, 16);
        float[0] = 3;
        assert!(matches!(
            parse_wav(&header(&float, 0)),
            Err(WavError::Unsupported(m)) if m.contains("0x0003")
        ));
    }

    #[test]
    fn accepts_extensible_pcm() {
        let mut fmt = pcm_format(1, 24_000, 16);
        fmt[0..2].copy_from_slice(&WAVE_FORMAT_EXTENSIBLE.to_le_bytes());
        fmt.extend(22u16.to_le_bytes()); // cbSize
        fmt.extend(16u16.to_le_bytes()); // valid bits
        fmt.extend(4u32.to_le_bytes()); // channel mask
        fmt.extend(WAVE_FORMAT_PCM.to_le_bytes()); // sub-format GUID starts with the tag
        fmt.extend([0u8; 14]);
        let mut wav = header(&fmt, 2);
        wav.extend(samples_bytes(&[42]));
        assert_eq!(parse_wav(&wav).unwrap().samples, [42]);
    }

    #[test]
    fn picks_voices_by_language() {
        assert_eq!(default_voice("zh-CN"), "cmn");
        assert_eq!(default_voice("zh"), "cmn");
        assert_eq!(default_voice("en-US"), "en-us");
        assert_eq!(default_voice("en-GB"), "en-us");
        assert_eq!(default_voice("es-MX"), "es");
        assert_eq!(default_voice("DE"), "de");
        assert_eq!(default_voice(""), "en-us");
        assert!(is_valid_voice("en-us+f3"));
        assert!(is_valid_voice("mb/mb-en1"));
        assert!(!is_valid_voice("--help"));
        assert!(!is_valid_voice("en us"));
        assert!(!is_valid_voice(""));
    }

    #[tokio::test]
    async fn a_missing_program_is_reported_as_not_installed() {
        let err = synthesize(
            Path::new("/nonexistent/espeak-ng"),
            "en-us",
            "Hello",
            DEFAULT_TIMEOUT,
        )
        .await
        .unwrap_err();
        assert!(matches!(err, EspeakError::NotInstalled { .. }), "{err:?}");
        let err = synthesize(Path::new("espeak-ng"), "-x", "Hello", DEFAULT_TIMEOUT)
            .await
            .unwrap_err();
        assert!(matches!(err, EspeakError::UnknownVoice { .. }), "{err:?}");
    }

    fn script(body: &str) -> tempfile::TempPath {
        use std::io::Write;
        use std::os::unix::fs::PermissionsExt;
        let mut file = tempfile::Builder::new().suffix(".sh").tempfile().unwrap();
        writeln!(file, "#!/bin/sh\n{body}").unwrap();
        let path = file.into_temp_path();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        path
    }

    /// Runs a test script as the synthesizer. A script just written can be briefly "busy"
    /// when another test forks at that moment; that is retried.
    async fn run(program: &Path, timeout: Duration) -> Result<Vec<u8>, EspeakError> {
        for _ in 0..20 {
            match synthesize(program, "en-us", "Hello", timeout).await {
                Err(EspeakError::Io(message)) if message.contains("busy") => {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                other => return other,
            }
        }
        synthesize(program, "en-us", "Hello", timeout).await
    }

    #[tokio::test]
    async fn a_hung_synthesizer_is_stopped_at_the_time_limit() {
        let hung = script("exec sleep 30");
        let started = std::time::Instant::now();
        let err = run(&hung, Duration::from_millis(300)).await.unwrap_err();
        assert_eq!(err, EspeakError::Timeout(Duration::from_millis(300)));
        assert!(started.elapsed() < Duration::from_secs(5));
    }

    #[tokio::test]
    async fn failures_and_garbage_output_are_reported() {
        let failing = script("echo 'out of memory' >&2; exit 3");
        let err = run(&failing, DEFAULT_TIMEOUT).await.unwrap_err();
        assert!(
            matches!(&err, EspeakError::Failed { stderr, .. } if stderr == "out of memory"),
            "{err:?}"
        );
        let garbage = script("cat >/dev/null; echo 'not audio'");
        let err = run(&garbage, DEFAULT_TIMEOUT).await.unwrap_err();
        assert_eq!(err, EspeakError::BadAudio(WavError::NotWav));
    }
}
