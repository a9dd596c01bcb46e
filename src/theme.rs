//! A shop owner's theme (`shop.theme_dir`): templates and static files that
//! override the embedded ones by name, read once at start.
//!
//! The folder holds `templates/NAME.hbs` (NAME one of the embedded templates,
//! e.g. `product`, `layout`, `mail/welcome.html`) and `static/PATH` (served
//! at `/static/PATH`, replacing or adding to the embedded files). Anything
//! else is refused, so a typo in a name stops start-up instead of silently
//! changing nothing. A theme is a stylesheet, a few templates and some
//! images: it is read into memory whole, within [`MAX_STATIC_FILE`] per file
//! and [`MAX_THEME_BYTES`] in all, and nothing watches it afterwards.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Context as _};
use bytes::Bytes;
use sha2::{Digest, Sha256};

/// Largest template file a theme may hold.
pub const MAX_TEMPLATE_FILE: u64 = 256 * 1024;
/// Largest static file a theme may hold (a photo or a font).
pub const MAX_STATIC_FILE: u64 = 4 * 1024 * 1024;
/// Largest a whole theme may be, templates and static files together.
pub const MAX_THEME_BYTES: u64 = 32 * 1024 * 1024;
/// Deepest folder nesting read, so a symbolic link loop cannot recurse forever.
const MAX_DEPTH: usize = 16;

/// A template the theme replaces.
#[derive(Debug, Clone)]
pub struct ThemeTemplate {
    /// Where it was read from, for error messages.
    pub path: PathBuf,
    /// Its text.
    pub source: String,
}

/// A static file as `/static/...` serves it, embedded or from the theme.
#[derive(Debug, Clone)]
pub struct StaticFile {
    /// The bytes (cheap to clone into each answer).
    pub data: Bytes,
    /// Its quoted ETag: the start of its SHA-256.
    pub etag: String,
    /// Its media type, guessed from the name.
    pub mime: String,
}

impl StaticFile {
    /// `data` served under the name `path`.
    pub fn new(path: &str, data: Vec<u8>) -> Self {
        let etag = etag_of(&Sha256::digest(&data));
        let mime = mime_guess::from_path(path)
            .first_or_octet_stream()
            .to_string();
        Self {
            data: Bytes::from(data),
            etag,
            mime,
        }
    }
}

/// The quoted ETag for a file whose SHA-256 is `hash` (embedded files carry
/// theirs precomputed).
pub fn etag_of(hash: &[u8]) -> String {
    let hex: String = hash.iter().take(12).map(|b| format!("{b:02x}")).collect();
    format!("\"{hex}\"")
}

/// Whether `path` may name a static file: relative, `/`-separated, no empty,
/// `..` or backslashed segment. The same rule for requests and theme files.
pub fn is_static_path(path: &str) -> bool {
    !path
        .split('/')
        .any(|seg| seg.is_empty() || seg == ".." || seg == "." || seg.contains('\\'))
}

/// The overrides of one shop; [`Theme::default`] overrides nothing.
#[derive(Debug, Default)]
pub struct Theme {
    /// By template name (`product`, `mail/welcome.html`).
    templates: BTreeMap<String, ThemeTemplate>,
    /// By path under `/static/`.
    files: BTreeMap<String, StaticFile>,
}

impl Theme {
    /// Reads the theme in `dir`. `known` are the embedded template names: a
    /// template that is not one of them is refused. Every error names the file.
    pub fn load(dir: &Path, known: &[String]) -> anyhow::Result<Self> {
        if !dir.is_dir() {
            bail!(
                "config key `shop.theme_dir`: {} is not a folder",
                dir.display()
            );
        }
        let mut theme = Self::default();
        let mut budget = Budget::default();
        for (name, path) in read_dir(dir)? {
            match name.as_str() {
                "templates" if path.is_dir() => {
                    for (name, path) in walk(&path)? {
                        theme.add_template(&name, path, known, &mut budget)?;
                    }
                }
                "static" if path.is_dir() => {
                    for (name, path) in walk(&path)? {
                        theme.add_file(&name, &path, &mut budget)?;
                    }
                }
                _ => bail!(
                    "theme file {}: a theme holds only `templates/` and `static/` folders",
                    path.display()
                ),
            }
        }
        Ok(theme)
    }

    /// The theme's template `name`, if it replaces the embedded one.
    pub fn template(&self, name: &str) -> Option<&ThemeTemplate> {
        self.templates.get(name)
    }

    /// The theme's static file at `path`, if it has one.
    pub fn file(&self, path: &str) -> Option<&StaticFile> {
        self.files.get(path)
    }

    /// How many templates and static files it overrides (for the start-up log).
    pub fn counts(&self) -> (usize, usize) {
        (self.templates.len(), self.files.len())
    }

    fn add_template(
        &mut self,
        file_name: &str,
        path: PathBuf,
        known: &[String],
        budget: &mut Budget,
    ) -> anyhow::Result<()> {
        let name = file_name
            .strip_suffix(".hbs")
            .filter(|name| known.iter().any(|k| k == name))
            .ok_or_else(|| {
                anyhow!(
                    "theme file {}: `{file_name}` is not one of the built-in templates \
                     (see the README's Themes section for their names)",
                    path.display()
                )
            })?;
        let bytes = budget.read(&path, MAX_TEMPLATE_FILE)?;
        let source = String::from_utf8(bytes)
            .map_err(|_| anyhow!("theme file {}: not UTF-8", path.display()))?;
        self.templates
            .insert(name.to_owned(), ThemeTemplate { path, source });
        Ok(())
    }

    fn add_file(&mut self, name: &str, path: &Path, budget: &mut Budget) -> anyhow::Result<()> {
        if !is_static_path(name) {
            bail!(
                "theme file {}: not a name /static/ can serve",
                path.display()
            );
        }
        let data = budget.read(path, MAX_STATIC_FILE)?;
        self.files
            .insert(name.to_owned(), StaticFile::new(name, data));
        Ok(())
    }
}

/// What is left of [`MAX_THEME_BYTES`] while a theme is read.
#[derive(Default)]
struct Budget {
    used: u64,
}

impl Budget {
    /// The bytes of `path`, refused above `limit` or past the theme's total.
    fn read(&mut self, path: &Path, limit: u64) -> anyhow::Result<Vec<u8>> {
        let size = std::fs::metadata(path)
            .with_context(|| format!("theme file {}", path.display()))?
            .len();
        if size > limit {
            bail!(
                "theme file {}: {size} bytes, more than the {limit} a theme file may have",
                path.display()
            );
        }
        self.used += size;
        if self.used > MAX_THEME_BYTES {
            bail!(
                "theme file {}: the theme passes {MAX_THEME_BYTES} bytes in all",
                path.display()
            );
        }
        let data = std::fs::read(path).with_context(|| format!("theme file {}", path.display()))?;
        // The file may have grown since it was measured.
        if data.len() as u64 > limit {
            bail!("theme file {}: grew past {limit} bytes", path.display());
        }
        Ok(data)
    }
}

/// The entries of `dir` as (UTF-8 name, path), hidden ones (`.DS_Store`,
/// editor swap files) left out, sorted so errors come in a stable order.
fn read_dir(dir: &Path) -> anyhow::Result<Vec<(String, PathBuf)>> {
    let mut entries = Vec::new();
    let listing =
        std::fs::read_dir(dir).with_context(|| format!("theme folder {}", dir.display()))?;
    for entry in listing {
        let path = entry
            .with_context(|| format!("theme folder {}", dir.display()))?
            .path();
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .ok_or_else(|| anyhow!("theme file {}: name is not UTF-8", path.display()))?
            .to_owned();
        if !name.starts_with('.') {
            entries.push((name, path));
        }
    }
    entries.sort();
    Ok(entries)
}

/// Every file under `root` as (`/`-joined path relative to `root`, path).
fn walk(root: &Path) -> anyhow::Result<Vec<(String, PathBuf)>> {
    let mut files = Vec::new();
    let mut folders = vec![(String::new(), root.to_path_buf(), 0)];
    while let Some((prefix, dir, depth)) = folders.pop() {
        if depth > MAX_DEPTH {
            bail!(
                "theme folder {}: nested deeper than {MAX_DEPTH} folders",
                dir.display()
            );
        }
        for (name, path) in read_dir(&dir)? {
            let relative = format!("{prefix}{name}");
            if path.is_dir() {
                folders.push((format!("{relative}/"), path, depth + 1));
            } else {
                files.push((relative, path));
            }
        }
    }
    files.sort();
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn known() -> Vec<String> {
        ["product", "layout", "mail/welcome.html"]
            .map(str::to_owned)
            .to_vec()
    }

    fn write(root: &Path, relative: &str, data: &[u8]) {
        let path = root.join(relative);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).unwrap_or_else(|e| unreachable!("{e}"));
        }
        std::fs::write(path, data).unwrap_or_else(|e| unreachable!("{e}"));
    }

    fn folder() -> tempfile::TempDir {
        tempfile::tempdir().unwrap_or_else(|e| unreachable!("{e}"))
    }

    #[test]
    fn reads_templates_by_name_and_static_files_by_path() {
        let dir = folder();
        write(dir.path(), "templates/product.hbs", b"P");
        write(dir.path(), "templates/mail/welcome.html.hbs", b"W");
        write(dir.path(), "static/img/x.png", b"png");
        write(dir.path(), "static/.DS_Store", b"litter");
        let theme = Theme::load(dir.path(), &known()).unwrap_or_else(|e| unreachable!("{e:#}"));
        assert_eq!(
            theme.template("product").map(|t| t.source.as_str()),
            Some("P")
        );
        assert!(theme.template("mail/welcome.html").is_some());
        assert!(theme.template("layout").is_none());
        let png = theme.file("img/x.png").unwrap_or_else(|| unreachable!());
        assert_eq!(png.mime, "image/png");
        assert_eq!(png.etag.len(), 26);
        assert_eq!(theme.counts(), (2, 1));
    }

    #[test]
    fn refuses_what_would_silently_do_nothing() {
        let cases: [(&str, &str); 3] = [
            ("templates/prodcut.hbs", "prodcut.hbs"),
            ("templates/product.html", "product.html"),
            ("template/product.hbs", "only `templates/` and `static/`"),
        ];
        for (file, says) in cases {
            let dir = folder();
            write(dir.path(), file, b"x");
            let err = Theme::load(dir.path(), &known())
                .err()
                .unwrap_or_else(|| unreachable!("{file} accepted"));
            let text = format!("{err:#}");
            assert!(text.contains(says), "{file}: {text}");
            assert!(
                text.contains(file.split('/').next().unwrap_or(file)),
                "{text}"
            );
        }
    }

    #[test]
    fn refuses_oversized_and_non_utf8_files_naming_them() {
        let dir = folder();
        write(dir.path(), "templates/product.hbs", &[0xff, 0xfe]);
        let err = format!(
            "{:#}",
            Theme::load(dir.path(), &known())
                .err()
                .unwrap_or_else(|| unreachable!())
        );
        assert!(
            err.contains("product.hbs") && err.contains("UTF-8"),
            "{err}"
        );

        let dir = folder();
        let big = vec![b'a'; MAX_STATIC_FILE as usize + 1];
        write(dir.path(), "static/big.css", &big);
        let err = format!(
            "{:#}",
            Theme::load(dir.path(), &known())
                .err()
                .unwrap_or_else(|| unreachable!())
        );
        assert!(err.contains("big.css") && err.contains("bytes"), "{err}");
    }

    #[test]
    fn a_missing_folder_names_the_key() {
        let dir = folder();
        let err = Theme::load(&dir.path().join("nope"), &known())
            .err()
            .unwrap_or_else(|| unreachable!());
        assert!(err.to_string().contains("shop.theme_dir"), "{err}");
    }

    #[test]
    fn static_paths_stay_inside_the_folder() {
        assert!(is_static_path("style.css"));
        assert!(is_static_path("photos/a.svg"));
        for bad in ["", "../x", "a/../b", "a//b", "/etc/passwd", "a\\b", "./x"] {
            assert!(!is_static_path(bad), "{bad}");
        }
    }
}
