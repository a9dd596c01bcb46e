//! `tienda check-config`: everything start-up checks that needs neither the
//! network nor the store, so an operator can test a config (and a theme)
//! before a restart instead of finding out from a shop that does not come up.

use crate::config::{MailTransportKind, Settings};

/// Checks `settings` (already loaded and validated by `Settings::load`) the
/// way `Application::build` does before it opens the store; the line to
/// print when all is well. Errors name the key or the file that is wrong.
pub fn check_config(settings: &Settings) -> anyhow::Result<String> {
    // The file transport's folder is created at start, not here: a check run
    // as another user (root, before a deploy) must not leave it behind with
    // the wrong owner.
    if settings.mail.transport == MailTransportKind::Smtp {
        crate::services::mail::sender::Transport::from_settings(&settings.mail)
            .map_err(|(key, message)| anyhow::anyhow!("config key `{key}`: {message}"))?;
    }
    let i18n = std::sync::Arc::new(crate::i18n::I18n::load()?);
    let theme = match &settings.shop.theme_dir {
        Some(dir) => crate::theme::Theme::load(dir, &crate::templates::embedded_names())?,
        None => crate::theme::Theme::default(),
    };
    crate::templates::registry(i18n, &theme)?;
    Ok(format!(
        "config ok (profile {}; store {}; mail {}; not contacted: the store and the mail server)",
        settings.profile,
        crate::config::mask_url_credentials(settings.store.url.expose()),
        match settings.mail.transport {
            MailTransportKind::File => "file",
            MailTransportKind::Smtp => "smtp",
        }
    ))
}
