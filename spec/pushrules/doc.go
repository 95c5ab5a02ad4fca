// Package pushrules implements the push-rule module of the Client-Server
// API: the rule and ruleset types as they appear on the wire, the
// server-default rules, merging a user's stored customisations with those
// defaults, validating and positioning user-defined rules, and evaluating an
// event against a user's ruleset to decide whether it notifies and
// highlights.
//
// Evaluation is built for the write path: an Evaluator flattens an event
// once and is then run against the ruleset of every member of the room.
//
// https://spec.matrix.org/latest/client-server-api/#push-rules
package pushrules
