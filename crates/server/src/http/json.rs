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

/// The media type of a JSON merge patch (RFC 7396).
pub(crate) const MERGE_PATCH: &str = "application/merge-patch+json";

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
                let media = v.split(';').next().unwrap_or("").trim();
                // A merge patch (RFC 7396) is JSON too; PATCH handlers read it as such.
                media.eq_ignore_ascii_case("application/json") || media.eq_ignore_ascii_case(MERGE_PATCH)
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

/// Applies the JSON merge patch `patch` (RFC 7396) to `current` — the record as this API
/// writes it — and reads the result as the replace input `T`, so a PATCH is judged exactly as
/// the PUT it stands for. Only the fields `T` has are taken from `current` (outputs carry
/// computed fields too), less `not_replaced` (fields a replace refuses).
pub(crate) fn patched<T: DeserializeOwned + utoipa::ToSchema>(
    current: impl serde::Serialize,
    patch: serde_json::Value,
    not_replaced: &[&str],
) -> Result<T, ApiError> {
    if !patch.is_object() {
        return Err(ApiError::BadRequest {
            field: None,
            reason: "a merge patch is a JSON object of the fields to change (null removes one)".into(),
        });
    }
    let fields = input_fields::<T>();
    let mut doc = serde_json::to_value(current).expect("a record serialises");
    if let serde_json::Value::Object(map) = &mut doc {
        map.retain(|k, _| fields.contains(k) && !not_replaced.contains(&k.as_str()));
    }
    merge(&mut doc, patch);
    parse(&serde_json::to_vec(&doc).expect("JSON serialises"))
}

/// The property names of `T`'s schema: the fields its JSON has.
fn input_fields<T: utoipa::ToSchema>() -> Vec<String> {
    use utoipa::openapi::{RefOr, Schema};
    match T::schema() {
        RefOr::T(Schema::Object(object)) => object.properties.keys().cloned().collect(),
        _ => Vec::new(),
    }
}

/// RFC 7396 §2: objects merge member by member, `null` removes a member, anything else
/// replaces the target.
fn merge(target: &mut serde_json::Value, patch: serde_json::Value) {
    use serde_json::Value;
    match patch {
        Value::Object(members) => {
            if !target.is_object() {
                *target = Value::Object(Default::default());
            }
            let map = target.as_object_mut().expect("made an object above");
            for (key, value) in members {
                if value.is_null() {
                    map.remove(&key);
                } else {
                    merge(map.entry(key).or_insert(Value::Null), value);
                }
            }
        }
        other => *target = other,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::merge;

    /// The examples of RFC 7396, appendix A.
    #[test]
    fn merge_patches_as_rfc_7396_says() {
        let cases = [
            (json!({"a": "b"}), json!({"a": "c"}), json!({"a": "c"})),
            (json!({"a": "b"}), json!({"b": "c"}), json!({"a": "b", "b": "c"})),
            (json!({"a": "b"}), json!({"a": null}), json!({})),
            (json!({"a": "b", "b": "c"}), json!({"a": null}), json!({"b": "c"})),
            (json!({"a": ["b"]}), json!({"a": "c"}), json!({"a": "c"})),
            (json!({"a": "c"}), json!({"a": ["b"]}), json!({"a": ["b"]})),
            (
                json!({"a": {"b": "c"}}),
                json!({"a": {"b": "d", "c": null}}),
                json!({"a": {"b": "d"}}),
            ),
            (json!({"a": [{"b": "c"}]}), json!({"a": [1]}), json!({"a": [1]})),
            (json!(["a", "b"]), json!(["c", "d"]), json!(["c", "d"])),
            (json!({"a": "b"}), json!(["c"]), json!(["c"])),
            (json!({"a": "foo"}), json!(null), json!(null)),
            (json!({"a": "foo"}), json!("bar"), json!("bar")),
            (json!({"e": null}), json!({"a": 1}), json!({"e": null, "a": 1})),
            (json!([1, 2]), json!({"a": "b", "c": null}), json!({"a": "b"})),
            (json!({}), json!({"a": {"bb": {"ccc": null}}}), json!({"a": {"bb": {}}})),
        ];
        for (mut target, patch, expected) in cases {
            merge(&mut target, patch.clone());
            assert_eq!(target, expected, "patch {patch}");
        }
    }
}
