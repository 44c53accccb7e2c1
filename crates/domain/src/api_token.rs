//! API tokens as callers send them: `Authorization: Bearer lst_…`, the prefix then 256 random
//! bits in unpadded base64url (43 characters). Only a token of that form is looked up, so a
//! header that cannot be one is refused without asking the database.

/// What every API token starts with, so a leaked one is recognisable (and scanners find it).
pub const PREFIX: &str = "lst_";
/// The characters after the prefix: 32 bytes in unpadded base64url.
pub const SECRET_CHARS: usize = 43;

/// Why an `Authorization` header holds no API token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TokenRefusal {
    #[error("the Authorization header must be `Bearer lst_…`")]
    NotBearer,
    #[error("an API token starts with lst_")]
    WrongPrefix,
    #[error("an API token is lst_ then 43 characters of A-Z, a-z, 0-9, - and _")]
    Malformed,
}

/// The API token in the value of an `Authorization` header: `Bearer` (in any case, as HTTP
/// schemes are), a space, then the token, with spaces around it ignored.
pub fn bearer_token(header: &str) -> Result<&str, TokenRefusal> {
    let (scheme, token) = header.trim().split_once(' ').ok_or(TokenRefusal::NotBearer)?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Err(TokenRefusal::NotBearer);
    }
    let token = token.trim();
    let secret = token.strip_prefix(PREFIX).ok_or(TokenRefusal::WrongPrefix)?;
    let base64url = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_';
    if secret.len() != SECRET_CHARS || !secret.chars().all(base64url) {
        return Err(TokenRefusal::Malformed);
    }
    Ok(token)
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOKEN: &str = "lst_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_abcde";

    #[test]
    fn a_bearer_header_gives_its_token() {
        assert_eq!(TOKEN.len(), PREFIX.len() + SECRET_CHARS);
        for header in [
            format!("Bearer {TOKEN}"),
            format!("bearer  {TOKEN} "),
            format!("BEARER {TOKEN}"),
        ] {
            assert_eq!(bearer_token(&header), Ok(TOKEN), "{header}");
        }
    }

    #[test]
    fn anything_else_is_refused_saying_why() {
        assert_eq!(bearer_token(TOKEN), Err(TokenRefusal::NotBearer));
        assert_eq!(bearer_token(&format!("Basic {TOKEN}")), Err(TokenRefusal::NotBearer));
        assert_eq!(bearer_token("Bearer wk_abc"), Err(TokenRefusal::WrongPrefix));
        assert_eq!(bearer_token("Bearer lst_forged"), Err(TokenRefusal::Malformed));
        let plus = TOKEN.replace('-', "+");
        assert_eq!(bearer_token(&format!("Bearer {plus}")), Err(TokenRefusal::Malformed));
    }
}
