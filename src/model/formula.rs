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
}

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
        Ok(Formula {
            text: text.to_string(),
            inputs,
            node,
        })
    }

    /// The formula's value with `values[i]` for `inputs[i]`; `None` when
    /// the result is not a finite number (a division by zero, `ln(0)`,
    /// `sqrt(-1)`, a comparison as the result).
    pub fn eval(&self, values: &[f64]) -> Option<f64> {
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
