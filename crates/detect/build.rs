//! Embeds the bundled Sigma rules (rules/sigma/**/*.yml) into the binary, so
//! that one `exhunt` file carries its rules wherever it is copied.

fn main() {
    exhunt_embed::embed_rules(
        "../../rules/sigma",
        &["yml", "yaml"],
        "BUNDLED_SIGMA",
        "(path under rules/sigma, YAML text) of every bundled rule.",
        "bundled_sigma.rs",
    );
}
