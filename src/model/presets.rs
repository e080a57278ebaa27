//! The built-in presets: one model per reference system, kept as CSV files
//! beside this module so that `iiot model --preset NAME` prints exactly
//! what a user would copy and edit.

use anyhow::{Result, bail};

/// A built-in model.
#[derive(Debug, Clone, Copy)]
pub struct Preset {
    pub name: &'static str,
    pub summary: &'static str,
    pub csv: &'static str,
}

pub const PRESETS: &[Preset] = &[
    Preset {
        name: "wellhead",
        summary: "oil & gas wellheads over Modbus TCP: 12 wells x 18 parameters, full register map, HH/H/L/LL limits",
        csv: include_str!("presets/wellhead.csv"),
    },
    Preset {
        name: "fermenter",
        summary: "bioreactors: fermenter_temp 35-40 degC (HH 45), fermenter_ph 6.5-7.5, agitator_rpm 300-600",
        csv: include_str!("presets/fermenter.csv"),
    },
    Preset {
        name: "factory",
        summary: "manufacturing line: machine states (Markov, ERROR with recovery), production and scrap counters, quality, OEE inputs",
        csv: include_str!("presets/factory.csv"),
    },
    Preset {
        name: "boiler",
        summary: "industrial boilers across sites: temperature, pressure, fuel level, steam and fuel flow, efficiency computed from them",
        csv: include_str!("presets/boiler.csv"),
    },
    Preset {
        name: "chemical",
        summary: "chemical plant: reactors, distillation columns, heat exchangers",
        csv: include_str!("presets/chemical.csv"),
    },
];

/// The preset of that name, or an error listing the names.
pub fn preset(name: &str) -> Result<&'static Preset> {
    match PRESETS.iter().find(|p| p.name == name) {
        Some(p) => Ok(p),
        None => {
            let names: Vec<_> = PRESETS.iter().map(|p| p.name).collect();
            bail!("no preset {name:?}; the presets are: {}", names.join(", "))
        }
    }
}
