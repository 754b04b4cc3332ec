//! Speech in and out of phone calls: audio formats (G.711 μ-law at 8 kHz, and downsampling to
//! it), and the recognition and synthesis providers built on them.

pub mod mulaw;
