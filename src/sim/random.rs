//! Random numbers that are the same on every machine: xoshiro256++ streams
//! seeded per series, and normal deviates by Box–Muller on `libm`'s
//! functions. The platform's `sin`/`ln` may differ in the last bit between
//! C libraries, which would break byte-identical output after rounding;
//! `libm` is one pure-Rust implementation everywhere.

use rand_core::{RngCore, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

/// One random stream.
#[derive(Debug, Clone)]
pub struct Stream {
    rng: Xoshiro256PlusPlus,
    /// The second deviate of the last Box–Muller pair; NaN when used.
    spare: f64,
}

/// Mixes a seed with the indexes of a series and a purpose into one
/// well-spread 64-bit value (SplitMix64's finaliser).
pub fn mix(seed: u64, a: u64, b: u64, purpose: u64) -> u64 {
    let mut z = seed
        ^ a.wrapping_mul(0x9E37_79B9_7F4A_7C15)
        ^ b.wrapping_mul(0xC2B2_AE3D_27D4_EB4F)
        ^ purpose.wrapping_mul(0x1656_67B1_9E37_79F9);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

impl Stream {
    pub fn new(seed: u64) -> Stream {
        Stream {
            rng: Xoshiro256PlusPlus::seed_from_u64(seed),
            spare: f64::NAN,
        }
    }

    /// Uniform in [0, 1).
    #[inline]
    pub fn uniform(&mut self) -> f64 {
        (self.rng.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Standard normal deviate.
    #[inline]
    pub fn normal(&mut self) -> f64 {
        if !self.spare.is_nan() {
            let z = self.spare;
            self.spare = f64::NAN;
            return z;
        }
        // 1 - uniform is in (0, 1], so the logarithm is finite.
        let u1 = 1.0 - self.uniform();
        let u2 = self.uniform();
        let r = libm::sqrt(-2.0 * libm::log(u1));
        let theta = std::f64::consts::TAU * u2;
        let (s, c) = libm::sincos(theta);
        self.spare = r * s;
        r * c
    }

    /// Standard normal deviate cut at ±4: measurement noise that never
    /// pushes a normal value across its limits by chance.
    #[inline]
    pub fn bounded_normal(&mut self) -> f64 {
        self.normal().clamp(-4.0, 4.0)
    }

    /// Exponentially distributed with the given mean.
    #[inline]
    pub fn exponential(&mut self, mean: f64) -> f64 {
        -mean * libm::log(1.0 - self.uniform())
    }
}

/// A short sequence of draws fixed by one key (SplitMix64): the fault
/// draws of one series at one tick, so no fault state need be kept per
/// series between ticks.
#[derive(Debug, Clone)]
pub struct Dice {
    state: u64,
}

impl Dice {
    pub fn new(key: u64) -> Dice {
        Dice { state: key }
    }

    #[inline]
    fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        mix(self.state, 0, 0, 0)
    }

    /// Uniform in [0, 1).
    #[inline]
    pub fn uniform(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Uniform in [lo, hi).
    #[inline]
    pub fn between(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.uniform()
    }

    /// A whole number in [lo, hi].
    #[inline]
    pub fn int_between(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next_u64() % (hi - lo + 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normal_has_unit_variance() {
        let mut s = Stream::new(7);
        let n = 200_000;
        let xs: Vec<f64> = (0..n).map(|_| s.normal()).collect();
        let mean = xs.iter().sum::<f64>() / n as f64;
        let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n as f64;
        assert!(mean.abs() < 0.01, "mean {mean}");
        assert!((var - 1.0).abs() < 0.02, "variance {var}");
    }

    #[test]
    fn same_seed_same_stream() {
        let a: Vec<f64> = {
            let mut s = Stream::new(42);
            (0..10).map(|_| s.normal()).collect()
        };
        let b: Vec<f64> = {
            let mut s = Stream::new(42);
            (0..10).map(|_| s.normal()).collect()
        };
        assert_eq!(a, b);
        assert_ne!(mix(1, 2, 3, 0), mix(1, 2, 3, 1));
    }
}
