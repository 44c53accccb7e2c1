//! Who may manage the team's accounts and credentials: the rules the users API and the admin
//! pages both apply.

use lodestar_domain::access::Actor;

use crate::http::error::ApiError;
use crate::http::params::allowed;

pub(crate) fn require_user_admin(actor: &Actor) -> Result<(), ApiError> {
    allowed(actor.can_administer(), "only admins manage users")
}

pub(crate) fn require_token_admin(actor: &Actor) -> Result<(), ApiError> {
    allowed(actor.can_administer(), "only admins manage API tokens")
}
