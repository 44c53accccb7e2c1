//! Who may do what. One place for the rules, so every page and endpoint asks the same
//! question and gets the same answer.

use crate::UserId;
use crate::vocabulary::Role;

/// Whoever is making a request: a signed-in user, or an API token (which has a role but
/// owns no accounts).
/// Which accounts a report counts: all of them, or one CSM's book.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    All,
    Book(UserId),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Actor {
    pub role: Role,
    pub user: Option<UserId>,
}

impl Actor {
    /// Every role may read every account, contact and contract.
    pub fn can_read(&self) -> bool {
        true
    }

    /// Managing users, tokens and settings.
    pub fn can_administer(&self) -> bool {
        self.role == Role::Admin
    }

    /// Creating accounts and reassigning them: leaders and admins run the book of business.
    pub fn can_manage_all_accounts(&self) -> bool {
        matches!(self.role, Role::Admin | Role::Leader)
    }

    /// Seeing the whole team's books and workload (F-61): the people who staff and lead it.
    /// Reassigning accounts between books stays with those who run the book of business.
    pub fn can_see_team(&self) -> bool {
        matches!(self.role, Role::Admin | Role::Leader | Role::Executive)
    }

    /// Writing the playbook library (F-32): the outcomes, tactics and risk playbooks CSMs work
    /// from are the leaders' to keep; everyone reads them.
    pub fn can_edit_playbooks(&self) -> bool {
        matches!(self.role, Role::Admin | Role::Leader)
    }

    /// Changing an account (and its contacts and contracts) owned by `owner`: leaders and
    /// admins any account; CSMs and associates their own book; everyone else nothing.
    pub fn can_write_account(&self, owner: Option<UserId>) -> bool {
        match self.role {
            Role::Admin | Role::Leader => true,
            Role::Csm | Role::AssociateCsm => self.user.is_some() && self.user == owner,
            Role::Ae | Role::Executive | Role::Viewer => false,
        }
    }

    /// Whether the role changes any account at all (every book, or its own): asked before a
    /// request names which account.
    pub fn can_write_some_account(&self) -> bool {
        match self.role {
            Role::Admin | Role::Leader => true,
            Role::Csm | Role::AssociateCsm => self.user.is_some(),
            Role::Ae | Role::Executive | Role::Viewer => false,
        }
    }

    /// Whose revenue figures (retention, retention curves) the role may see: leaders, admins
    /// and executives the whole book of business, a CSM their own book, others none.
    pub fn revenue_scope(&self) -> Option<Scope> {
        match (self.role, self.user) {
            (Role::Admin | Role::Leader | Role::Executive, _) => Some(Scope::All),
            (Role::Csm | Role::AssociateCsm, Some(user)) => Some(Scope::Book(user)),
            _ => None,
        }
    }

    /// Moving an LxL action item (done, dropped, open again): its owner, and whoever may
    /// change its account.
    pub fn can_move_action_item(&self, item_owner: UserId, account_owner: Option<UserId>) -> bool {
        self.user == Some(item_owner) || self.can_write_account(account_owner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn actor(role: Role, user: Option<i64>) -> Actor {
        Actor {
            role,
            user: user.map(UserId),
        }
    }

    #[test]
    fn revenue_is_for_leaders_and_a_csm_sees_their_own_book() {
        assert_eq!(actor(Role::Leader, None).revenue_scope(), Some(Scope::All));
        assert_eq!(actor(Role::Executive, Some(3)).revenue_scope(), Some(Scope::All));
        assert_eq!(actor(Role::Csm, Some(7)).revenue_scope(), Some(Scope::Book(UserId(7))));
        assert_eq!(
            actor(Role::Csm, None).revenue_scope(),
            None,
            "a CSM-role token has no book"
        );
        assert_eq!(actor(Role::Ae, Some(4)).revenue_scope(), None);
        assert_eq!(actor(Role::Viewer, Some(5)).revenue_scope(), None);
    }

    #[test]
    fn csms_write_only_their_own_book() {
        let csm = actor(Role::Csm, Some(7));
        assert!(csm.can_write_account(Some(UserId(7))));
        assert!(!csm.can_write_account(Some(UserId(8))), "another CSM's account");
        assert!(!csm.can_write_account(None), "an unowned account");
        assert!(actor(Role::AssociateCsm, Some(9)).can_write_account(Some(UserId(9))));
        assert!(
            !actor(Role::Csm, None).can_write_account(None),
            "a CSM token owns nothing"
        );
        assert!(!csm.can_manage_all_accounts() && !csm.can_administer());
        assert!(csm.can_write_some_account());
        assert!(!actor(Role::Csm, None).can_write_some_account());
        assert!(!actor(Role::Viewer, Some(9)).can_write_some_account());
        assert!(
            actor(Role::Viewer, Some(9)).can_move_action_item(UserId(9), Some(UserId(7))),
            "an item's owner moves it, whatever their role"
        );
        assert!(
            csm.can_move_action_item(UserId(3), Some(UserId(7))),
            "the account's CSM"
        );
        assert!(!csm.can_move_action_item(UserId(3), Some(UserId(8))));
    }

    #[test]
    fn leaders_and_admins_write_everything_readers_nothing() {
        for role in [Role::Admin, Role::Leader] {
            assert!(actor(role, Some(1)).can_write_account(Some(UserId(2))));
            assert!(actor(role, None).can_manage_all_accounts());
        }
        for role in [Role::Ae, Role::Executive, Role::Viewer] {
            let a = actor(role, Some(3));
            assert!(a.can_read());
            assert!(
                !a.can_write_account(Some(UserId(3))),
                "{role} is read-only even as owner"
            );
            assert!(!a.can_manage_all_accounts());
        }
        assert!(actor(Role::Admin, None).can_administer());
        assert!(!actor(Role::Leader, None).can_administer());
        assert!(actor(Role::Leader, None).can_edit_playbooks());
        assert!(actor(Role::Executive, None).can_see_team());
        assert!(!actor(Role::Executive, None).can_manage_all_accounts());
        assert!(!actor(Role::Csm, Some(1)).can_see_team());
        assert!(!actor(Role::Csm, Some(1)).can_edit_playbooks());
    }
}
