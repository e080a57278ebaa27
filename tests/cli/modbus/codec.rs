//! The register codec round-trips every type × order × scale/offset.

use iiot::modbus::codec::Layout;
use iiot::model::{RegType, WordOrder};
use proptest::prelude::*;

fn types() -> impl Strategy<Value = RegType> {
    prop::sample::select(vec![
        RegType::U16,
        RegType::I16,
        RegType::U32,
        RegType::I32,
        RegType::U64,
        RegType::I64,
        RegType::F32,
        RegType::F64,
        RegType::Bool,
    ])
}

fn orders() -> impl Strategy<Value = WordOrder> {
    prop::sample::select(WordOrder::ALL.to_vec())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 4000, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn prop_register_roundtrip(
        t in types(),
        order in orders(),
        scale in prop::sample::select(vec![1.0, 0.1, 0.01, 0.001, 10.0, 0.5, 2.0]),
        offset in prop::sample::select(vec![0.0, -40.0, 100.0, 0.5]),
        unit in 0.0f64..1.0,
    ) {
        let l = Layout { reg_type: t, order, scale, offset, bit: None };
        // A raw value inside the type's range, then its engineering value.
        let (lo, hi) = t.int_range().unwrap_or((-1e6, 1e6));
        let (lo, hi) = (lo.max(-1e15), hi.min(1e15));
        let mut raw = lo + (hi - lo) * unit;
        if t.int_range().is_some() {
            raw = raw.round();
        }
        // A bool is 0 or 1 whatever the scale.
        let value = if t == RegType::Bool { raw } else { raw * scale + offset };
        let mut regs = [0u16; 4];
        l.encode(value, &mut regs).unwrap();
        let back = l.decode(&regs);
        let tol = match t {
            // f32 keeps 24 bits of the raw value.
            RegType::F32 => raw.abs().max(1e-30) * 1.2e-7 * scale + 1e-9 * value.abs(),
            RegType::Bool => 0.0,
            _ => (value.abs() * 1e-12).max(scale * 1e-9),
        };
        prop_assert!((back - value).abs() <= tol, "{t} {order} scale {scale} offset {offset}: {value} -> {regs:?} -> {back}");
    }

    #[test]
    fn prop_string_and_bit_roundtrip(
        s in "[ -~]{0,16}",
        order in orders(),
        bit in 0u8..16,
        others in any::<u16>(),
        on in any::<bool>(),
    ) {
        let l = Layout { reg_type: RegType::Str(8), order, scale: 1.0, offset: 0.0, bit: None };
        let mut regs = [0u16; 8];
        l.encode_text(&s, &mut regs).unwrap();
        let mut back = String::new();
        l.decode_text(&regs, &mut back);
        prop_assert_eq!(back, s.trim_end());
        let b = Layout { reg_type: RegType::Bool, order, scale: 1.0, offset: 0.0, bit: Some(bit) };
        let mut r = [others];
        b.encode(f64::from(u8::from(on)), &mut r).unwrap();
        prop_assert_eq!(b.decode(&r), f64::from(u8::from(on)));
        prop_assert_eq!(r[0] & !(1 << bit), others & !(1 << bit));
    }
}
