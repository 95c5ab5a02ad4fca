// Package auth implements the authorization rules of every room version:
// whether an event is allowed given the room state it is checked against,
// whether its auth_events are the ones the rules expect, which state a new
// event must cite, and the power levels the rules compare.
//
// The rules differ between room versions only through the capability flags
// of roomversion.Rules, so one implementation serves versions 1 to 12.
//
// https://spec.matrix.org/latest/server-server-api/#checks-performed-on-receipt-of-a-pdu
// https://spec.matrix.org/latest/rooms/v12/#authorization-rules
package auth
