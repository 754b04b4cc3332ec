//! Personal data under PIPL and GDPR: what records keep of it (redaction), how long
//! conversations are kept, and a data subject's requests to see or erase what the shop holds
//! about them.

pub mod redact;
pub mod retention;
pub mod subject;
