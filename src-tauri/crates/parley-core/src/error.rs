//! The one error type that reaches the UI, and the core's own error enum.
//!
//! The UI branches on [`ErrorKind`] only, never on message text. Messages are written for people
//! and never contain the API key: the key only travels inside `ApiKey`, which has no serde
//! implementation and redacts itself in `Debug`/`Display`.

use parley_claude::{ApiErrorKind, ClaudeError};
use parley_secrets::SecretError;
use parley_store::StoreError;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// What went wrong, as the UI tells the cases apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    /// 400: the request was malformed or the API refused its content.
    InvalidRequest,
    /// 401: the API key is wrong or missing.
    Auth,
    /// 403: the key may not use this resource.
    Permission,
    /// 404: wrong base URL or unknown model.
    NotFound,
    /// 413: the request is too large.
    RequestTooLarge,
    /// 429: too many requests.
    RateLimit,
    /// 500 or an unclassified API error.
    ApiError,
    /// 529: the API is overloaded.
    Overloaded,
    /// The request could not be sent or no response came.
    Network,
    /// The connection ended in the middle of a reply.
    StreamInterrupted,
    /// The server answered something Parley cannot read.
    BadResponse,
    /// The user stopped the reply.
    Cancelled,
    /// The server answered with a redirect, which Parley never follows (it would carry the key
    /// elsewhere); the message names where it pointed.
    Redirect,
    /// A reply went past a size limit (an SSE event over 16 MB, a JSON body over 64 MB); the
    /// text that arrived before it is kept.
    ResponseTooLarge,
    /// No API key is stored and `ANTHROPIC_API_KEY` is unset.
    NoApiKey,
    /// No Secret Service could be reached.
    KeychainUnavailable,
    /// The keychain failed otherwise.
    Keychain,
    /// The SQLite store failed.
    Database,
    /// The user typed something Parley cannot accept (a bad URL, an empty message, ...).
    InvalidInput,
    /// A conversation or message that does not exist (any more).
    Missing,
    /// An image file with no bytes.
    ImageEmpty,
    /// Not an image, or a format the decoder does not know.
    ImageNotImage,
    /// A truncated or damaged image.
    ImageCorrupt,
    /// A known format Parley does not convert (HEIC, SVG, ...).
    ImageUnsupported,
    /// The header claims more pixels than Parley decodes (a decompression bomb).
    ImageTooManyPixels,
    /// The image cannot be brought under the API's 5 MB.
    ImageTooLarge,
    /// More images than the API accepts in one request.
    ImageTooMany,
    /// A stored image file is gone.
    ImageMissing,
    /// Another Parley is using the data folder; this one opened nothing.
    DataFolderInUse,
    /// A bug.
    Internal,
}

impl ErrorKind {
    /// The wire name, e.g. `rate_limit`; identical to the serde form.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InvalidRequest => "invalid_request",
            Self::Auth => "auth",
            Self::Permission => "permission",
            Self::NotFound => "not_found",
            Self::RequestTooLarge => "request_too_large",
            Self::RateLimit => "rate_limit",
            Self::ApiError => "api_error",
            Self::Overloaded => "overloaded",
            Self::Network => "network",
            Self::StreamInterrupted => "stream_interrupted",
            Self::BadResponse => "bad_response",
            Self::Cancelled => "cancelled",
            Self::Redirect => "redirect",
            Self::ResponseTooLarge => "response_too_large",
            Self::NoApiKey => "no_api_key",
            Self::KeychainUnavailable => "keychain_unavailable",
            Self::Keychain => "keychain",
            Self::Database => "database",
            Self::InvalidInput => "invalid_input",
            Self::Missing => "missing",
            Self::ImageEmpty => "image_empty",
            Self::ImageNotImage => "image_not_image",
            Self::ImageCorrupt => "image_corrupt",
            Self::ImageUnsupported => "image_unsupported",
            Self::ImageTooManyPixels => "image_too_many_pixels",
            Self::ImageTooLarge => "image_too_large",
            Self::ImageTooMany => "image_too_many",
            Self::ImageMissing => "image_missing",
            Self::DataFolderInUse => "data_folder_in_use",
            Self::Internal => "internal",
        }
    }

    /// Parses the wire name (as stored in the `messages.error_kind` column).
    pub fn parse(name: &str) -> Option<Self> {
        serde_json::from_value(serde_json::Value::String(name.to_owned())).ok()
    }
}

impl From<ApiErrorKind> for ErrorKind {
    fn from(kind: ApiErrorKind) -> Self {
        match kind {
            ApiErrorKind::InvalidRequest => Self::InvalidRequest,
            ApiErrorKind::Auth => Self::Auth,
            ApiErrorKind::Permission => Self::Permission,
            ApiErrorKind::NotFound => Self::NotFound,
            ApiErrorKind::RequestTooLarge => Self::RequestTooLarge,
            ApiErrorKind::RateLimit => Self::RateLimit,
            ApiErrorKind::Api => Self::ApiError,
            ApiErrorKind::Overloaded => Self::Overloaded,
            ApiErrorKind::Network => Self::Network,
            ApiErrorKind::StreamInterrupted => Self::StreamInterrupted,
            ApiErrorKind::BadResponse => Self::BadResponse,
            ApiErrorKind::Cancelled => Self::Cancelled,
            ApiErrorKind::Redirect => Self::Redirect,
            ApiErrorKind::ResponseTooLarge => Self::ResponseTooLarge,
        }
    }
}

/// An error as the UI receives it: `{kind, message, status, requestId}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ErrorPayload {
    pub kind: ErrorKind,
    pub message: String,
    /// The HTTP status, when the error came from an HTTP response.
    pub status: Option<u16>,
    /// The API's `request-id`, for support requests.
    pub request_id: Option<String>,
}

impl ErrorPayload {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
            status: None,
            request_id: None,
        }
    }
}

/// Everything that can go wrong in the core.
#[derive(Debug, thiserror::Error)]
pub enum CoreError {
    #[error(transparent)]
    Api(#[from] ClaudeError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Secret(#[from] SecretError),
    /// No key is saved for the origin the request would go to (keys are bound to their origin).
    #[error(
        "No API key is saved for {origin}. Open Settings (Ctrl+,) and paste the key for this \
         address; it is stored in the system keychain and sent only there."
    )]
    NoApiKey { origin: String },
    #[error("{0}")]
    InvalidInput(String),
    #[error("{0}")]
    Missing(String),
    /// An image was refused or could not be read; the message names the file and the reason.
    #[error("{message}")]
    Image { kind: ErrorKind, message: String },
    /// Another process holds the data folder's lock (see `data_folder::DataLock`).
    #[error("{}", in_use_message(.folder, *.holder))]
    DataFolderInUse {
        folder: std::path::PathBuf,
        /// The process id the holder wrote in the lock file, when it could be read.
        holder: Option<u32>,
    },
    #[error("{0}")]
    Internal(String),
}

fn in_use_message(folder: &std::path::Path, holder: Option<u32>) -> String {
    let process = holder
        .map(|pid| format!(" (process {pid})"))
        .unwrap_or_default();
    format!(
        "Another Parley{process} is using the data folder {}. Only one Parley can use a data \
         folder at a time: switch to its window, or quit it and start Parley again.",
        folder.display()
    )
}

pub type CoreResult<T> = Result<T, CoreError>;

impl CoreError {
    pub fn kind(&self) -> ErrorKind {
        match self {
            Self::Api(error) => error.kind.into(),
            Self::Store(StoreError::NotFound(_)) => ErrorKind::Missing,
            Self::Store(_) => ErrorKind::Database,
            Self::Secret(SecretError::Unavailable(_)) => ErrorKind::KeychainUnavailable,
            Self::Secret(SecretError::Failed(_)) => ErrorKind::Keychain,
            Self::NoApiKey { .. } => ErrorKind::NoApiKey,
            Self::InvalidInput(_) => ErrorKind::InvalidInput,
            Self::Missing(_) => ErrorKind::Missing,
            Self::Image { kind, .. } => *kind,
            Self::DataFolderInUse { .. } => ErrorKind::DataFolderInUse,
            Self::Internal(_) => ErrorKind::Internal,
        }
    }

    pub fn to_payload(&self) -> ErrorPayload {
        let (status, request_id) = match self {
            Self::Api(error) => (error.status, error.request_id.clone()),
            _ => (None, None),
        };
        ErrorPayload {
            kind: self.kind(),
            message: self.to_string(),
            status,
            request_id,
        }
    }
}

impl From<CoreError> for ErrorPayload {
    fn from(error: CoreError) -> Self {
        error.to_payload()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payload_serializes_to_the_shape_the_ui_expects() {
        let payload = ErrorPayload {
            kind: ErrorKind::RateLimit,
            message: "slow down".into(),
            status: Some(429),
            request_id: Some("req_1".into()),
        };
        assert_eq!(
            serde_json::to_value(&payload).unwrap(),
            serde_json::json!({"kind":"rate_limit","message":"slow down","status":429,"requestId":"req_1"}),
            "the UI reads exactly these keys"
        );
    }

    #[test]
    fn every_kind_round_trips_through_its_wire_name() {
        use ErrorKind::*;
        for kind in [
            InvalidRequest,
            Auth,
            Permission,
            NotFound,
            RequestTooLarge,
            RateLimit,
            ApiError,
            Overloaded,
            Network,
            StreamInterrupted,
            BadResponse,
            Cancelled,
            Redirect,
            ResponseTooLarge,
            NoApiKey,
            KeychainUnavailable,
            Keychain,
            Database,
            InvalidInput,
            Missing,
            ImageEmpty,
            ImageNotImage,
            ImageCorrupt,
            ImageUnsupported,
            ImageTooManyPixels,
            ImageTooLarge,
            ImageTooMany,
            ImageMissing,
            DataFolderInUse,
            Internal,
        ] {
            assert_eq!(serde_json::to_value(kind).unwrap(), kind.as_str());
            assert_eq!(ErrorKind::parse(kind.as_str()), Some(kind));
        }
    }

    #[test]
    fn api_kinds_map_one_to_one() {
        assert_eq!(ErrorKind::from(ApiErrorKind::Api), ErrorKind::ApiError);
        assert_eq!(
            ErrorKind::from(ApiErrorKind::Overloaded).as_str(),
            "overloaded"
        );
        assert_eq!(
            ErrorKind::from(ApiErrorKind::StreamInterrupted).as_str(),
            "stream_interrupted"
        );
        assert_eq!(ErrorKind::from(ApiErrorKind::Redirect).as_str(), "redirect");
        assert_eq!(
            ErrorKind::from(ApiErrorKind::ResponseTooLarge).as_str(),
            "response_too_large"
        );
        let payload = CoreError::Api(parley_claude::ClaudeError::new(
            ApiErrorKind::Redirect,
            "pointed elsewhere",
        ))
        .to_payload();
        assert_eq!(
            serde_json::to_value(&payload).unwrap(),
            serde_json::json!({"kind":"redirect","message":"pointed elsewhere","status":null,"requestId":null}),
            "the UI branches on this kind"
        );
    }

    #[test]
    fn keychain_unavailable_has_its_own_kind() {
        let error = CoreError::Secret(SecretError::Unavailable("no bus".into()));
        assert_eq!(error.to_payload().kind, ErrorKind::KeychainUnavailable);
    }
}
