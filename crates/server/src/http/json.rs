//! A JSON body extractor that reads the body but parses it only when the handler asks, after
//! it has checked who may act: a caller without the right gets 403 whatever they sent, and
//! learns nothing of the schema. Its errors name the field (`owner_id: invalid type: string
//! "x", expected i64`) instead of axum's generic rejection text.

use std::marker::PhantomData;

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::header;
use serde::de::DeserializeOwned;

use crate::http::error::ApiError;

pub struct Json<T> {
    body: Result<Bytes, ApiError>,
    shape: PhantomData<fn() -> T>,
}

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for Json<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let is_json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| {
                v.split(';')
                    .next()
                    .unwrap_or("")
                    .trim()
                    .eq_ignore_ascii_case("application/json")
            });
        let body = if is_json {
            Bytes::from_request(req, state).await.map_err(|e| ApiError::BadRequest {
                field: None,
                reason: e.body_text(),
            })
        } else {
            Err(ApiError::UnsupportedMediaType)
        };
        Ok(Json {
            body,
            shape: PhantomData,
        })
    }
}

impl<T: DeserializeOwned> Json<T> {
    /// The body as `T`: call it once the caller is known to be allowed.
    pub fn read(self) -> Result<T, ApiError> {
        parse(&self.body?)
    }
}

/// `bytes` as `T`, naming the field at fault.
pub(crate) fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let field = (path != ".").then_some(path);
        ApiError::BadRequest {
            field,
            reason: e.inner().to_string(),
        }
    })?;
    de.end().map_err(|e| ApiError::BadRequest {
        field: None,
        reason: e.to_string(),
    })?;
    Ok(value)
}
