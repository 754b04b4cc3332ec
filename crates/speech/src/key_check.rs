//! Whether a Deepgram key works: the key's project list (`GET {base}/v1/projects`), the
//! cheapest request that needs a valid key and costs nothing, asked through the `deepgram`
//! crate's management API.

use std::time::Duration;

use deepgram::{Deepgram, DeepgramError};

/// How long the check may take.
pub const TIMEOUT: Duration = Duration::from_secs(10);

/// Why a key did not check out.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyCheckError {
    /// Deepgram could not be reached, or did not answer in time.
    #[error("Deepgram could not be reached")]
    Unreachable,
    /// Deepgram refused the key (401, 403) or the request (another status).
    #[error("Deepgram refused the request with HTTP {status}")]
    Refused {
        /// The HTTP status.
        status: u16,
    },
    /// Deepgram answered with something that is not a project list.
    #[error("Deepgram's answer is not understood")]
    Unexpected,
}

/// Checks `api_key` at `base_url` (`https://api.deepgram.com`, or a stand-in): the number of
/// projects the key can see.
pub async fn check_key(base_url: &str, api_key: &str) -> Result<usize, KeyCheckError> {
    let client = Deepgram::with_base_url_and_api_key(base_url, api_key)
        .map_err(|_| KeyCheckError::Unreachable)?;
    let projects = tokio::time::timeout(TIMEOUT, client.projects().list())
        .await
        .map_err(|_| KeyCheckError::Unreachable)?;
    match projects {
        Ok(projects) => Ok(projects.projects.len()),
        Err(DeepgramError::DeepgramApiError { err, .. }) => Err(KeyCheckError::Refused {
            status: err.status().map_or(0, |status| status.as_u16()),
        }),
        Err(DeepgramError::ReqwestError(err)) if err.is_decode() => Err(KeyCheckError::Unexpected),
        Err(_) => Err(KeyCheckError::Unreachable),
    }
}
