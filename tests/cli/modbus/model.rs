//! `model check` on the register columns poll and modbus-serve add: `host`,
//! `bit` and the `strN` types.

use crate::util::{Workdir, fails_with};

#[test]
fn model_check_host_bit_and_string_columns() {
    let wd = Workdir::new("modbus-model-check");
    wd.write(
        "m.csv",
        "\
asset,tag,kind,host,unit_id,table,address,bit,type
A,a,,,1,holding,0,16,bool
A,b,,,1,coil,0,3,bool
A,c,,,1,holding,1,3,bool
A,d,,,1,holding,1,3,bool
A,e,,,1,holding,1,4,f32
A,f,bool,,1,holding,2,,str4
A,g,,nohost,1,holding,10,,u16
A,h,,,1,holding,20,,str0
A,i,,,1,holding,30,,str126
A,j,,,1,holding,1,,u16
A,k,,,1,holding,1,5,u16
A,l,,10.0.0.1:502,1,holding,1,,u16
A,m,,,1,holding,40,,str125
",
    );
    let mut cmd = wd.cmd("model");
    cmd.args(["check", "m.csv"]);
    let out = wd.run(&mut cmd);
    let err = fails_with(1, &cmd, &out);
    for want in [
        "line 2, column bit: \"16\" is not a bit number from 0 to 15",
        "line 3, column bit: a coil holds single bits already",
        "line 5, column bit: unit 1 holding 1 bit 3 is already A/c (line 4)",
        "line 6, column type: bit 4 of a register is 0 or 1",
        "line 7, column type: a bool tag cannot be held as text (str4)",
        "line 8, column host: \"nohost\" is not HOST:PORT",
        "line 9, column type: unknown type \"str0\"",
        "line 10, column type: unknown type \"str126\"",
        "line 11, column address: unit 1 holding 1 overlaps",
    ] {
        assert!(err.contains(want), "missing {want:?} in:\n{err}");
    }
    // Bits of one register side by side, the same register on another
    // host, and the longest string are fine.
    for fine in ["line 12", "line 13", "line 14"] {
        assert!(!err.contains(fine), "{fine} flagged:\n{err}");
    }
    assert!(err.contains("9 problems"), "{err}");
}
