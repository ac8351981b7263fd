package envoy

import "github.com/lbtop/lbtop/model"

// faultRules says which model.Fault a host's flags amount to, most
// telling first: a timed-out active check is a timeout, a failed one a
// failing check (immediate-fail and the control plane's EDS verdict are
// health verdicts too), an outlier ejection its own cause, an EDS drain
// an administrative removal by the control plane, and a host waiting for
// its first check is out for no named reason.
var faultRules = [...]struct {
	flags hostFlag
	fault model.Fault
}{
	{flagActiveHCTimeout, model.FaultTimeout},
	{flagFailedActiveHC | flagExcludedViaImmediateHCFail | flagFailedEDSHealth, model.FaultCheck},
	{flagFailedOutlierCheck, model.FaultOutlier},
	{flagEDSStatusDraining, model.FaultAdmin},
	{flagPendingActiveHC, model.FaultOther},
}

// hostFault maps a host that does not serve to the fault its flags name;
// a serving host has none.
func hostFault(hs *healthStatus, h model.Health) model.Fault {
	if h.Serving() {
		return model.FaultNone
	}
	f := hs.flags()
	for _, r := range faultRules {
		if f&r.flags != 0 {
			return r.fault
		}
	}
	return model.FaultOther
}
