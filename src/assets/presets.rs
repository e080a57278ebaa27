//! The registry of each built-in preset, kept as CSV files beside the
//! models (src/model/presets/assets/) so that `iiot assets show --preset
//! NAME` prints what a user would copy and edit.

use anyhow::{Result, bail};

use super::Registry;

/// A preset's registry: its assets CSV and relations CSV.
pub struct PresetRegistry {
    pub name: &'static str,
    pub assets: &'static str,
    pub relations: &'static str,
}

macro_rules! registry {
    ($name:literal) => {
        PresetRegistry {
            name: $name,
            assets: include_str!(concat!("../model/presets/assets/", $name, ".csv")),
            relations: include_str!(concat!("../model/presets/assets/", $name, ".relations.csv")),
        }
    };
}

pub const REGISTRIES: &[PresetRegistry] = &[
    registry!("wellhead"),
    registry!("fermenter"),
    registry!("factory"),
    registry!("boiler"),
    registry!("chemical"),
];

/// The registry of preset `name`, as text.
pub fn preset_registry(name: &str) -> Result<&'static PresetRegistry> {
    match REGISTRIES.iter().find(|p| p.name == name) {
        Some(p) => Ok(p),
        None => {
            let names: Vec<_> = REGISTRIES.iter().map(|p| p.name).collect();
            bail!("no preset {name:?}; the presets are: {}", names.join(", "))
        }
    }
}

/// The registry of preset `name`, loaded.
pub fn load(name: &str) -> Result<Registry> {
    let p = preset_registry(name)?;
    Ok(Registry::load(
        p.assets,
        &format!("preset {name} assets"),
        Some((p.relations, &format!("preset {name} relations"))),
    )?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_preset_has_a_registry_that_loads_and_covers_its_model() {
        for p in crate::model::PRESETS {
            let reg = load(p.name).unwrap_or_else(|e| panic!("{}: {e:#}", p.name));
            let model = crate::model::Model::load(p.csv, p.name).unwrap();
            for a in model.assets() {
                assert!(reg.get(a).is_some(), "{}: {a} not in the registry", p.name);
            }
        }
        assert!(load("chemical").unwrap().assets.len() >= 60);
    }
}
