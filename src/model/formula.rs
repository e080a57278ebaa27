//! The `formula` column: a tag computed from other tags of its asset.
//!
//! Expressions are parsed and evaluated by the `evalexpr` crate: arithmetic
//! (`+ - * / % ^`), comparisons (`< <= > >= == !=`), `&&`, `||`, `!`,
//! `if(cond, a, b)`, `min(…)`, `max(…)`, `floor`, `round`, `ceil`, and the
//! plain names `abs`, `sqrt`, `exp`, `ln`, `log10` (the crate's `math::…`
//! functions work too). Every number is a float: integer literals are
//! turned into floats once parsed, so `1/2` is 0.5 and `x/0` is infinite
//! (no reading) rather than an integer error.

use std::fmt;

use evalexpr::error::EvalexprResultValue;
use evalexpr::{
    Context, DefaultNumericTypes, EvalexprError, EvalexprResult, Node, Operator, Value,
};

type V = Value<DefaultNumericTypes>;

/// A parsed formula and the tags it reads, in order of first appearance.
#[derive(Clone)]
pub struct Formula {
    pub text: String,
    pub inputs: Vec<String>,
    node: Node<DefaultNumericTypes>,
    /// The tree as a postfix program, when it is plain arithmetic (see
    /// [`compile`]); otherwise evalexpr walks the tree.
    program: Option<Vec<Op>>,
}

/// One step of a compiled formula, on a stack of floats.
#[derive(Clone, Copy)]
enum Op {
    Const(f64),
    Input(usize),
    Add,
    Sub,
    Mul,
    Div,
    Mod,
    Pow,
    Neg,
    Call(fn(f64) -> f64),
}

/// The deepest stack a compiled formula may need.
const STACK: usize = 16;

impl fmt::Debug for Formula {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Formula({:?})", self.text)
    }
}

impl PartialEq for Formula {
    fn eq(&self, other: &Self) -> bool {
        self.text == other.text
    }
}

/// The functions a formula may call, beside `if`, `min` and `max`.
const OWN_FUNCTIONS: &[&str] = &["abs", "sqrt", "exp", "ln", "log10"];
const BUILTIN_FUNCTIONS: &[&str] = &[
    "if",
    "min",
    "max",
    "floor",
    "round",
    "ceil",
    "math::abs",
    "math::sqrt",
    "math::exp",
    "math::ln",
    "math::log10",
    "math::log",
    "math::pow",
    "math::hypot",
    "math::sin",
    "math::cos",
    "math::tan",
];

impl Formula {
    /// Parses a formula: the message says what is wrong with it.
    pub fn parse(text: &str) -> Result<Formula, String> {
        let mut node = evalexpr::build_operator_tree::<DefaultNumericTypes>(text)
            .map_err(|e| format!("does not parse: {e}"))?;
        if let Some(w) = node.iter_write_variable_identifiers().next() {
            return Err(format!("assigns to {w:?}: a formula only reads tags"));
        }
        for f in node.iter_function_identifiers() {
            if !OWN_FUNCTIONS.contains(&f) && !BUILTIN_FUNCTIONS.contains(&f) {
                return Err(format!(
                    "unknown function {f:?}; the functions are: {}, {}",
                    OWN_FUNCTIONS.join(", "),
                    BUILTIN_FUNCTIONS.join(", ")
                ));
            }
        }
        floats_only(&mut node);
        let mut inputs: Vec<String> = Vec::new();
        for v in node.iter_read_variable_identifiers() {
            if !inputs.iter().any(|i| i == v) {
                inputs.push(v.to_string());
            }
        }
        if inputs.is_empty() {
            return Err("names no tag: a formula computes a tag from other tags".into());
        }
        let mut program = Vec::new();
        let program = compile(&node, &inputs, &mut program, 0)
            .is_some()
            .then_some(program);
        Ok(Formula {
            text: text.to_string(),
            inputs,
            node,
            program,
        })
    }

    /// The formula's value with `values[i]` for `inputs[i]`; `None` when
    /// the result is not a finite number (a division by zero, `ln(0)`,
    /// `sqrt(-1)`, a comparison as the result).
    pub fn eval(&self, values: &[f64]) -> Option<f64> {
        if let Some(program) = &self.program {
            let v = run(program, values);
            return v.is_finite().then_some(v);
        }
        self.eval_tree(values)
    }

    /// [`Formula::eval`] by evalexpr's walk of the tree.
    fn eval_tree(&self, values: &[f64]) -> Option<f64> {
        let vars = Vars {
            names: &self.inputs,
            values: values.iter().map(|&v| Value::Float(v)).collect(),
        };
        match self.node.eval_with_context(&vars) {
            Ok(Value::Float(v)) if v.is_finite() => Some(v),
            Ok(Value::Int(i)) => Some(i as f64),
            _ => None,
        }
    }
}

/// Appends the postfix program of `node` to `out`: for trees of float
/// constants, inputs, `+ - * / % ^`, negation and the one-argument
/// functions, which on floats evalexpr computes by the same float
/// operations. `None` for anything else (comparisons, `if`, `min`, `max`,
/// the crate's own functions), which evalexpr then evaluates itself.
/// `depth` is the stack depth before the node; the program never needs
/// more than [`STACK`].
fn compile(
    node: &Node<DefaultNumericTypes>,
    inputs: &[String],
    out: &mut Vec<Op>,
    depth: usize,
) -> Option<()> {
    if depth >= STACK {
        return None;
    }
    let children = node.children();
    let binary = |op: Op, out: &mut Vec<Op>| -> Option<()> {
        let [a, b] = children else { return None };
        compile(a, inputs, out, depth)?;
        compile(b, inputs, out, depth + 1)?;
        out.push(op);
        Some(())
    };
    match node.operator() {
        Operator::RootNode => {
            let [child] = children else { return None };
            compile(child, inputs, out, depth)
        }
        Operator::Const {
            value: Value::Float(v),
        } if children.is_empty() => {
            out.push(Op::Const(*v));
            Some(())
        }
        Operator::VariableIdentifierRead { identifier } if children.is_empty() => {
            out.push(Op::Input(inputs.iter().position(|i| i == identifier)?));
            Some(())
        }
        Operator::Add => binary(Op::Add, out),
        Operator::Sub => binary(Op::Sub, out),
        Operator::Mul => binary(Op::Mul, out),
        Operator::Div => binary(Op::Div, out),
        Operator::Mod => binary(Op::Mod, out),
        Operator::Exp => binary(Op::Pow, out),
        Operator::Neg => {
            let [child] = children else { return None };
            compile(child, inputs, out, depth)?;
            out.push(Op::Neg);
            Some(())
        }
        Operator::FunctionIdentifier { identifier } => {
            let [child] = children else { return None };
            let f: fn(f64) -> f64 = match identifier.as_str() {
                "abs" => f64::abs,
                "sqrt" => f64::sqrt,
                "exp" => f64::exp,
                "ln" => f64::ln,
                "log10" => f64::log10,
                _ => return None,
            };
            compile(child, inputs, out, depth)?;
            out.push(Op::Call(f));
            Some(())
        }
        _ => None,
    }
}

/// Runs a compiled formula.
fn run(program: &[Op], values: &[f64]) -> f64 {
    let mut stack = [0.0f64; STACK];
    let mut n = 0usize;
    for op in program {
        match *op {
            Op::Const(v) => {
                stack[n] = v;
                n += 1;
            }
            Op::Input(i) => {
                stack[n] = values.get(i).copied().unwrap_or(f64::NAN);
                n += 1;
            }
            Op::Neg => stack[n - 1] = -stack[n - 1],
            Op::Call(f) => stack[n - 1] = f(stack[n - 1]),
            op => {
                n -= 1;
                let (a, b) = (stack[n - 1], stack[n]);
                stack[n - 1] = match op {
                    Op::Add => a + b,
                    Op::Sub => a - b,
                    Op::Mul => a * b,
                    Op::Div => a / b,
                    Op::Mod => a % b,
                    _ => a.powf(b),
                };
            }
        }
    }
    stack[0]
}

/// Integer constants become floats, so that division is real division.
fn floats_only(node: &mut Node<DefaultNumericTypes>) {
    if let Operator::Const {
        value: Value::Int(i),
    } = node.operator()
    {
        let f = *i as f64;
        *node.operator_mut() = Operator::Const {
            value: Value::Float(f),
        };
    }
    for child in node.children_mut() {
        floats_only(child);
    }
}

struct Vars<'a> {
    names: &'a [String],
    values: Vec<V>,
}

fn unary(argument: &V, f: fn(f64) -> f64) -> EvalexprResultValue<DefaultNumericTypes> {
    Ok(Value::Float(f(argument.as_number()?)))
}

impl Context for Vars<'_> {
    type NumericTypes = DefaultNumericTypes;

    fn get_value(&self, identifier: &str) -> Option<&V> {
        let i = self.names.iter().position(|n| n == identifier)?;
        self.values.get(i)
    }

    fn call_function(
        &self,
        identifier: &str,
        argument: &V,
    ) -> EvalexprResultValue<DefaultNumericTypes> {
        match identifier {
            "abs" => unary(argument, f64::abs),
            "sqrt" => unary(argument, f64::sqrt),
            "exp" => unary(argument, f64::exp),
            "ln" => unary(argument, f64::ln),
            "log10" => unary(argument, f64::log10),
            _ => Err(EvalexprError::FunctionIdentifierNotFound(
                identifier.to_string(),
            )),
        }
    }

    fn are_builtin_functions_disabled(&self) -> bool {
        false
    }

    fn set_builtin_functions_disabled(
        &mut self,
        _disabled: bool,
    ) -> EvalexprResult<(), DefaultNumericTypes> {
        Err(EvalexprError::BuiltinFunctionsCannotBeDisabled)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn evaluates_arithmetic_functions_and_conditions() {
        let f = Formula::parse("steam_flow * 2.257 / (fuel_flow * 42.5) * 100").unwrap();
        assert_eq!(f.inputs, ["steam_flow", "fuel_flow"]);
        let v = f.eval(&[12.0, 0.741]).unwrap();
        assert!((v - 12.0 * 2.257 / (0.741 * 42.5) * 100.0).abs() < 1e-12);
        let f = Formula::parse("sqrt(3) * voltage * current * pf").unwrap();
        assert!((f.eval(&[400.0, 10.0, 0.9]).unwrap() - 3f64.sqrt() * 3600.0).abs() < 1e-9);
        let f = Formula::parse("if(a > b, max(a, b, 1), min(abs(a), exp(0), ln(b)))").unwrap();
        assert_eq!(f.eval(&[5.0, 2.0]), Some(5.0));
        assert_eq!(f.eval(&[-5.0, 2.0]), Some(2f64.ln()));
        assert_eq!(Formula::parse("a / 2").unwrap().eval(&[1.0]), Some(0.5));
    }

    #[test]
    fn non_finite_results_give_nothing() {
        let f = Formula::parse("a / b").unwrap();
        assert_eq!(f.eval(&[1.0, 0.0]), None);
        assert_eq!(Formula::parse("ln(a)").unwrap().eval(&[0.0]), None);
        assert_eq!(Formula::parse("sqrt(a)").unwrap().eval(&[-1.0]), None);
        assert_eq!(Formula::parse("a > 1").unwrap().eval(&[2.0]), None);
    }

    const FORMULAS: &[&str] = &[
        "steam_flow * 2.257 / (fuel_flow * 42.5) * 100",
        "outlet_temp - inlet_temp",
        "sqrt(3) * voltage * current * pf",
        "-a % b + a ^ 2 - b / -3",
        "abs(a) + ln(b) - exp(a / 100) + log10(abs(b) + 1) + sqrt(b)",
        "(((a + b) * (a - b)) / ((a * 2) + (b - 1))) - -(a)",
        "if(a > b, a, b) * 2",
        "min(a, b) + max(a, 1)",
        "math::sqrt(a) + b",
    ];

    #[test]
    fn arithmetic_is_compiled_the_rest_walks_the_tree() {
        for text in &FORMULAS[..6] {
            assert!(Formula::parse(text).unwrap().program.is_some(), "{text}");
        }
        for text in &FORMULAS[6..] {
            assert!(Formula::parse(text).unwrap().program.is_none(), "{text}");
        }
    }

    proptest::proptest! {
        /// The compiled program gives what evalexpr's tree walk gives,
        /// bit for bit, and gives nothing where it gives nothing.
        #[test]
        fn compiled_formulas_equal_the_tree_walk(
            values in proptest::collection::vec(
                proptest::prop_oneof![
                    1 => proptest::strategy::Just(0.0),
                    1 => proptest::strategy::Just(-1.0),
                    8 => -1e6..1e6f64,
                ],
                4,
            ),
        ) {
            for text in FORMULAS {
                let f = Formula::parse(text).unwrap();
                let values = &values[..f.inputs.len()];
                let got = f.eval(values);
                let want = f.eval_tree(values);
                proptest::prop_assert_eq!(got.map(f64::to_bits), want.map(f64::to_bits), "{}", text);
            }
        }
    }

    #[test]
    fn refuses_what_is_not_a_formula() {
        assert!(Formula::parse("a * (b + ").unwrap_err().contains("parse"));
        assert!(Formula::parse("a = 3").unwrap_err().contains("assigns"));
        assert!(
            Formula::parse("foo(a)")
                .unwrap_err()
                .contains("unknown function")
        );
        assert!(
            Formula::parse("1 + 2")
                .unwrap_err()
                .contains("names no tag")
        );
    }
}
