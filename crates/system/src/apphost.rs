//! What IIS's `applicationHost.config` says about where things are: the
//! folders IIS writes its W3C logs to (site defaults, per-site overrides,
//! central logging) and the physical folders of every site, application
//! and virtual directory (the web roots, and any folder an intruder mapped
//! a virtual directory to).

/// One folder named by the configuration, as written (environment variables
/// not yet expanded).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigPath {
    /// The path as written, e.g. `%SystemDrive%\inetpub\logs\LogFiles`.
    pub raw: String,
    /// Where in the file it is, e.g. `site "Default Web Site" virtual directory /`.
    pub origin: String,
    /// Line in the file (1-based).
    pub line: u32,
}

/// The parts of `applicationHost.config` discovery uses.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IisConfig {
    /// Folders holding `W3SVC<id>` log folders (or central log files).
    pub log_dirs: Vec<ConfigPath>,
    /// Physical folders of sites, applications and virtual directories.
    pub physical_paths: Vec<ConfigPath>,
}

/// A configuration file that could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct ConfigError {
    pub line: u32,
    pub message: String,
}

/// IIS's default log folder, when neither the site defaults nor a site
/// name one.
pub const DEFAULT_LOG_DIR: &str = "%SystemDrive%\\inetpub\\logs\\LogFiles";

/// Decodes the file's bytes: UTF-8 (with or without BOM) or UTF-16 with BOM,
/// as Windows tools write it.
pub fn decode(bytes: &[u8]) -> Result<String, ConfigError> {
    let utf16 = |le: bool| {
        let units: Vec<u16> = bytes[2..]
            .chunks_exact(2)
            .map(|c| {
                if le {
                    u16::from_le_bytes([c[0], c[1]])
                } else {
                    u16::from_be_bytes([c[0], c[1]])
                }
            })
            .collect();
        String::from_utf16(&units).map_err(|_| ConfigError {
            line: 0,
            message: "not valid UTF-16 text".to_string(),
        })
    };
    if bytes.starts_with(&[0xFF, 0xFE]) {
        return utf16(true);
    }
    if bytes.starts_with(&[0xFE, 0xFF]) {
        return utf16(false);
    }
    let b = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    std::str::from_utf8(b)
        .map(str::to_string)
        .map_err(|e| ConfigError {
            line: 1 + b[..e.valid_up_to()].iter().filter(|&&c| c == b'\n').count() as u32,
            message: "not valid UTF-8 text".to_string(),
        })
}

/// Parses the file's text. Malformed XML is an error naming the line,
/// never a panic; a well-formed file without the expected sections gives
/// an empty [`IisConfig`] (the caller falls back to IIS's defaults).
pub fn parse(text: &str) -> Result<IisConfig, ConfigError> {
    let opts = roxmltree::ParsingOptions {
        allow_dtd: false,
        ..roxmltree::ParsingOptions::default()
    };
    let doc = roxmltree::Document::parse_with_options(text, opts).map_err(|e| ConfigError {
        line: e.pos().row,
        message: e.to_string(),
    })?;
    let line = |n: roxmltree::Node<'_, '_>| doc.text_pos_at(n.range().start).row;
    let mut cfg = IisConfig::default();
    let Some(app_host) = doc
        .root_element()
        .children()
        .find(|n| n.has_tag_name("system.applicationHost"))
    else {
        return Ok(cfg);
    };
    fn child<'a, 'i>(
        n: roxmltree::Node<'a, 'i>,
        tag: &'static str,
    ) -> impl Iterator<Item = roxmltree::Node<'a, 'i>> {
        n.children()
            .filter(move |c| c.is_element() && c.has_tag_name(tag))
    }
    // Central logging (one file for the server) when the mode says so.
    for log in child(app_host, "log") {
        let mode = log.attribute("centralLogFileMode").unwrap_or("Site");
        let tag = match mode {
            "CentralW3C" => Some("centralW3CLogFile"),
            "CentralBinary" => Some("centralBinaryLogFile"),
            _ => None,
        };
        for central in tag.into_iter().flat_map(|t| child(log, t)) {
            if let Some(d) = central.attribute("directory") {
                cfg.log_dirs.push(ConfigPath {
                    raw: d.to_string(),
                    origin: format!("central logging ({mode})"),
                    line: line(central),
                });
            }
        }
    }
    let mut default_dir: Option<ConfigPath> = None;
    for sites in child(app_host, "sites") {
        for defaults in child(sites, "siteDefaults") {
            for lf in child(defaults, "logFile") {
                if let Some(d) = lf.attribute("directory") {
                    default_dir = Some(ConfigPath {
                        raw: d.to_string(),
                        origin: "site defaults".to_string(),
                        line: line(lf),
                    });
                }
            }
        }
        let mut any_site_default = false;
        for site in child(sites, "site") {
            let name = site.attribute("name").unwrap_or("?");
            let own = child(site, "logFile").find_map(|lf| {
                lf.attribute("directory").map(|d| ConfigPath {
                    raw: d.to_string(),
                    origin: format!("site \"{name}\" log settings"),
                    line: line(lf),
                })
            });
            match own {
                Some(p) => cfg.log_dirs.push(p),
                None => any_site_default = true,
            }
            for app in child(site, "application") {
                let app_path = app.attribute("path").unwrap_or("/");
                for vdir in child(app, "virtualDirectory") {
                    let Some(phys) = vdir.attribute("physicalPath") else {
                        continue;
                    };
                    let vpath = vdir.attribute("path").unwrap_or("/");
                    let full = match (app_path, vpath) {
                        ("/", v) => v.to_string(),
                        (a, "/") => a.to_string(),
                        (a, v) => format!("{a}{v}"),
                    };
                    cfg.physical_paths.push(ConfigPath {
                        raw: phys.to_string(),
                        origin: format!("site \"{name}\" virtual directory {full}"),
                        line: line(vdir),
                    });
                }
            }
        }
        if any_site_default || child(sites, "site").next().is_none() {
            cfg.log_dirs.push(default_dir.clone().unwrap_or(ConfigPath {
                raw: DEFAULT_LOG_DIR.to_string(),
                origin: "IIS default (not set in the file)".to_string(),
                line: 0,
            }));
        }
    }
    let mut seen = std::collections::HashSet::new();
    cfg.log_dirs.retain(|p| {
        seen.insert(
            p.raw
                .to_ascii_lowercase()
                .trim_end_matches('\\')
                .to_string(),
        )
    });
    Ok(cfg)
}

#[cfg(test)]
mod tests {
    use super::*;

    const CONFIG: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<configuration>
  <system.applicationHost>
    <log centralLogFileMode="Site">
      <centralW3CLogFile enabled="true" directory="%SystemDrive%\inetpub\logs\LogFiles" />
    </log>
    <sites>
      <site name="Default Web Site" id="1">
        <application path="/">
          <virtualDirectory path="/" physicalPath="%SystemDrive%\inetpub\wwwroot" />
        </application>
        <application path="/owa" applicationPool="MSExchangeOWAAppPool">
          <virtualDirectory path="/" physicalPath="C:\Apps\Exchange Server\V15\FrontEnd\HttpProxy\owa" />
          <virtualDirectory path="/xyz" physicalPath="C:\ProgramData\XYZ" />
        </application>
        <bindings><binding protocol="https" bindingInformation="*:443:" /></bindings>
      </site>
      <site name="Exchange Back End" id="2">
        <application path="/">
          <virtualDirectory path="/" physicalPath="C:\Apps\Exchange Server\V15\ClientAccess" />
        </application>
        <logFile directory="D:\IISLogs" />
      </site>
      <siteDefaults>
        <logFile logFormat="W3C" directory="C:\IISLogs" />
      </siteDefaults>
    </sites>
  </system.applicationHost>
</configuration>
"#;

    #[test]
    fn folders_of_a_real_shaped_config() {
        let cfg = parse(CONFIG).unwrap();
        let logs: Vec<(&str, &str)> = cfg
            .log_dirs
            .iter()
            .map(|p| (p.raw.as_str(), p.origin.as_str()))
            .collect();
        assert_eq!(
            logs,
            [
                ("D:\\IISLogs", "site \"Exchange Back End\" log settings"),
                ("C:\\IISLogs", "site defaults"),
            ]
        );
        let phys: Vec<(&str, &str)> = cfg
            .physical_paths
            .iter()
            .map(|p| (p.raw.as_str(), p.origin.as_str()))
            .collect();
        assert_eq!(
            phys,
            [
                (
                    "%SystemDrive%\\inetpub\\wwwroot",
                    "site \"Default Web Site\" virtual directory /"
                ),
                (
                    "C:\\Apps\\Exchange Server\\V15\\FrontEnd\\HttpProxy\\owa",
                    "site \"Default Web Site\" virtual directory /owa"
                ),
                (
                    "C:\\ProgramData\\XYZ",
                    "site \"Default Web Site\" virtual directory /owa/xyz"
                ),
                (
                    "C:\\Apps\\Exchange Server\\V15\\ClientAccess",
                    "site \"Exchange Back End\" virtual directory /"
                ),
            ]
        );
        assert_eq!(cfg.physical_paths[2].line, 14);
    }

    #[test]
    fn defaults_and_central_logging() {
        let cfg = parse("<configuration><system.applicationHost><sites><site name=\"a\" id=\"1\"/></sites></system.applicationHost></configuration>").unwrap();
        assert_eq!(cfg.log_dirs.len(), 1);
        assert_eq!(cfg.log_dirs[0].raw, DEFAULT_LOG_DIR);
        let central = CONFIG.replace(
            "centralLogFileMode=\"Site\"",
            "centralLogFileMode=\"CentralW3C\"",
        );
        let cfg = parse(&central).unwrap();
        assert_eq!(
            cfg.log_dirs[0].raw,
            "%SystemDrive%\\inetpub\\logs\\LogFiles"
        );
        assert_eq!(cfg.log_dirs[0].origin, "central logging (CentralW3C)");
        // No applicationHost section at all: nothing, not an error.
        assert_eq!(parse("<configuration/>").unwrap(), IisConfig::default());
    }

    #[test]
    fn malformed_files_are_errors_with_a_line() {
        for (text, line) in [
            (
                "<configuration>\n<system.applicationHost>\n<sites>\n</configuration>",
                4,
            ),
            ("", 1),
            ("<configuration><site name=\"x></configuration>", 1),
            ("not xml at all", 1),
            (
                "<?xml version=\"1.0\"?>\n<!DOCTYPE x [<!ENTITY a \"b\">]><x/>",
                1,
            ),
        ] {
            let e = parse(text).unwrap_err();
            assert_eq!(e.line, line, "{text:?}: {e}");
            assert!(!e.message.is_empty());
        }
    }

    #[test]
    fn encodings() {
        let mut utf16 = vec![0xFF, 0xFE];
        utf16.extend(CONFIG.encode_utf16().flat_map(|u| u.to_le_bytes()));
        assert_eq!(decode(&utf16).unwrap(), CONFIG);
        let mut bom = b"\xEF\xBB\xBF".to_vec();
        bom.extend_from_slice(CONFIG.as_bytes());
        assert_eq!(
            parse(&decode(&bom).unwrap()).unwrap(),
            parse(CONFIG).unwrap()
        );
        let e = decode(b"<configuration>\n\xff\xfe\xfd").unwrap_err();
        assert_eq!(e.line, 2);
        // An unpaired surrogate is not text.
        assert!(decode(&[0xFF, 0xFE, 0x00, 0xD8, 0x41, 0x00]).is_err());
    }
}
