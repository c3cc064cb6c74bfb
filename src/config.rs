//! The optional configuration file: every setting the flags and environment variables have,
//! in one YAML file for operators (`--config /etc/regiograaf/regiograaf.yaml` or
//! `REGIOGRAAF_CONFIG`).
//!
//! Precedence, highest first: command-line flags, environment variables, the file, the
//! compiled-in defaults: a setting from the file is used only where clap reports that the
//! flag's value is its default (neither a flag nor a variable gave it). Keys are the flags'
//! names with `_`:
//!
//! ```yaml
//! database_url: postgres://regiograaf@db.internal/regiograaf
//! listen: 0.0.0.0:8080
//! auth_config: /etc/regiograaf/issuers.yaml
//! anonymous: public
//! cors_origins: https://portaal.rso-kennemerland.nl,https://portaal.gooi.nl
//! rate_per_minute: 600
//! rate_burst: 100
//! cost_per_minute: 3000000
//! cost_burst: 1000000
//! request_timeout: 20s
//! statement_timeout: 10s
//! log_format: json
//! response_cache_mb: 32
//! ```

use serde_yaml_ng::Value;
use std::collections::HashMap;
use std::path::Path;

/// The settings a file may hold: the flags' names with `_`.
pub const KEYS: [&str; 14] = [
    "database_url",
    "listen",
    "auth_config",
    "anonymous",
    "cors_origins",
    "rate_per_minute",
    "rate_burst",
    "cost_per_minute",
    "cost_burst",
    "request_timeout",
    "statement_timeout",
    "log_format",
    "introspection",
    "response_cache_mb",
];

/// The settings in the file at `path`, by key. An unknown key is an error, so a misspelt
/// setting is not silently ignored.
pub fn read(path: &Path) -> Result<HashMap<String, String>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let map: serde_yaml_ng::Mapping =
        serde_yaml_ng::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut out = HashMap::new();
    for (key, value) in map {
        let key = key.as_str().unwrap_or_default().to_string();
        if !KEYS.contains(&key.as_str()) {
            return Err(format!(
                "{}: unknown setting `{key}` (known: {})",
                path.display(),
                KEYS.join(", ")
            ));
        }
        let text = match value {
            Value::String(s) => s,
            Value::Number(n) => n.to_string(),
            Value::Bool(b) => b.to_string(),
            Value::Sequence(items) => items
                .iter()
                .filter_map(|i| i.as_str())
                .collect::<Vec<_>>()
                .join(","),
            _ => return Err(format!("{}: `{key}` must be a value", path.display())),
        };
        out.insert(key, text);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_gives_its_settings_and_refuses_unknown_ones() {
        let dir = std::env::temp_dir().join(format!("regiograaf-config-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("c.yaml");
        std::fs::write(&file, "listen: 0.0.0.0:9000\nrate_per_minute: 60\ncors_origins: [https://a.example, https://b.example]\n").unwrap();
        let settings = read(&file).unwrap();
        assert_eq!(settings["listen"], "0.0.0.0:9000");
        assert_eq!(settings["rate_per_minute"], "60");
        assert_eq!(
            settings["cors_origins"],
            "https://a.example,https://b.example"
        );
        std::fs::write(&file, "listne: 1\n").unwrap();
        assert!(
            read(&file)
                .unwrap_err()
                .contains("unknown setting `listne`")
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
