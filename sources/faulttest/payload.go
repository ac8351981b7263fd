package faulttest

// Replies per kind and fault. Good replies are small but well formed, so a
// source that reads them has something to show; the others break one
// thing each.

// statHeader is a `show stat` header with the columns lbtop reads.
const statHeader = "# pxname,svname,status,weight,scur,stot,type,addr,check_status,check_code,last_chk,\n"

// esc is text that would drive a terminal if printed raw: a title change,
// a screen clear, blinking red, a right-to-left override and a C1 CSI.
const esc = "\x1b]2;owned\x07\x1b[2J\x1b[5;31m\u202e\u009b31m"

// payload is the reply body of a kind for a fault that shapes the body.
func payload(k Kind, f Fault) string {
	switch f {
	case Garbage:
		return "\x00\xff\xfe\x1b[2J\x07garbage\x00\x80\x9b" + string(make([]byte, 1024)) + "\xc3\x28\n\n"
	case HTML:
		return "<html>\n<head><title>502 Bad Gateway</title></head>\n<body>\n<center><h1>502 Bad Gateway</h1></center>\n<hr><center>nginx</center>\n</body>\n</html>\n"
	case Oversized, Endless, LongError:
		return opening(k, f)
	case Truncated, Slow, Good:
		return good[k]
	}
	if byFault, ok := broken[f]; ok {
		return byFault[k]
	}
	return good[k]
}

var good = map[Kind]string{
	HAProxy: statHeader +
		"web,FRONTEND,OPEN,,3,100,0,,,,,\n" +
		"web,s1,UP,1,2,50,2,10.0.0.1:80,L7OK,200,,\n" +
		"web,s2,DOWN,1,0,50,2,10.0.0.2:80,L4CON,,Connection refused,\n" +
		"web,BACKEND,UP,2,2,100,1,,,,,\n\n",
	Envoy: `{"cluster_statuses":[{"name":"web","host_statuses":[` +
		`{"address":{"socket_address":{"address":"10.0.0.1","port_value":80}},"health_status":{"eds_health_status":"HEALTHY"},"weight":1},` +
		`{"address":{"socket_address":{"address":"10.0.0.2","port_value":80}},"health_status":{"failed_active_health_check":true,"eds_health_status":"HEALTHY"},"weight":1}]}]}`,
	NGINXPlus: `{"web":{"peers":[` +
		`{"id":0,"server":"10.0.0.1:80","name":"10.0.0.1:80","backup":false,"weight":1,"state":"up","active":2,"requests":10,"responses":{"5xx":0}},` +
		`{"id":1,"server":"10.0.0.2:80","name":"10.0.0.2:80","backup":false,"weight":1,"state":"unhealthy","active":0,"requests":3,"responses":{"5xx":1}}],"zone":"web","zombies":0}}`,
	NGINXStub:  "Active connections: 3 \nserver accepts handled requests\n 10 10 20 \nReading: 0 Writing: 1 Waiting: 2 \n",
	Prometheus: `{"status":"success","data":{"resultType":"vector","result":[]}}`,
}

// promVector is a successful Prometheus reply whose one sample carries
// labels of every preset, so each preset's mapping sees it.
func promVector(labelValue, value string) string {
	return `{"status":"success","data":{"resultType":"vector","result":[{"metric":{` +
		`"proxy":` + labelValue + `,"server":` + labelValue + `,"state":"UP","instance":"i1",` +
		`"envoy_cluster_name":` + labelValue + `,"upstream":` + labelValue + `,"server_address":"10.0.0.1:80"},` +
		`"value":[1700000000,` + value + `]}]}}`
}

var broken = map[Fault]map[Kind]string{
	WrongTypes: {
		HAProxy:    statHeader + "web,s1,UP,heavy,two,many,server,10.0.0.1:80,L7OK,200,,\n\n",
		Envoy:      `{"cluster_statuses":[{"name":5,"host_statuses":"none"}]}`,
		NGINXPlus:  `{"web":{"peers":[{"id":"zero","server":10,"weight":"heavy","state":true,"active":"two"}]}}`,
		NGINXStub:  "Active connections: three \nserver accepts handled requests\n ten ten twenty \nReading: none Writing: one Waiting: two \n",
		Prometheus: `{"status":"success","data":{"resultType":"vector","result":[{"metric":{"proxy":5},"value":"one"}]}}`,
	},
	BadNumbers: {
		HAProxy: statHeader +
			"web,s1,UP,-5,-3,99999999999999999999999,2,10.0.0.1:80,L7OK,200,,\n" +
			"web,s2,UP,NaN,1e308,-1,2,10.0.0.2:80,L7OK,200,,\n\n",
		Envoy: `{"cluster_statuses":[{"name":"web","host_statuses":[` +
			`{"address":{"socket_address":{"address":"10.0.0.1","port_value":99999999}},"weight":-5},` +
			`{"address":{"socket_address":{"address":"10.0.0.2","port_value":80}},"weight":1e308}]}]}`,
		NGINXPlus: `{"web":{"peers":[` +
			`{"id":0,"server":"10.0.0.1:80","name":"a","weight":-5,"state":"up","active":-3,"requests":-1},` +
			`{"id":1,"server":"10.0.0.2:80","name":"b","weight":1e308,"state":"up","active":99999999999999999999999}]}}`,
		NGINXStub:  "Active connections: -5 \nserver accepts handled requests\n 1e308 NaN 99999999999999999999999 \nReading: -1 Writing: 0 Waiting: 0 \n",
		Prometheus: `{"status":"success","data":{"resultType":"vector","result":[` + `{"metric":{"proxy":"web","server":"s1","state":"UP","instance":"i1","envoy_cluster_name":"web","upstream":"web","server_address":"10.0.0.1:80"},"value":[1700000000,"NaN"]},` + `{"metric":{"proxy":"web","server":"s2","state":"UP","instance":"i1","envoy_cluster_name":"web","upstream":"web","server_address":"10.0.0.2:80"},"value":[1700000000,"1e308"]},` + `{"metric":{"proxy":"web","server":"s3","state":"UP","instance":"i1","envoy_cluster_name":"web","upstream":"web","server_address":"10.0.0.3:80"},"value":[1700000000,"-5"]}]}}`,
	},
	NameEscapes: {
		HAProxy: statHeader +
			"web" + esc + ",s1" + esc + ",UP,1,0,1,2,10.0.0.1:80,L7OK,200,\x1b[2Jcheck" + esc + ",\n" +
			"web" + esc + ",BACKEND,UP,1,0,1,1,,,,,\n\n",
		Envoy: `{"cluster_statuses":[{"name":"web\u001b]2;owned\u0007\u001b[2J\u202e","host_statuses":[` +
			`{"address":{"socket_address":{"address":"10.0.0.1\u001b[5m","port_value":80}},"hostname":"h\u009b31m","weight":1}]}]}`,
		NGINXPlus: `{"web\u001b]2;owned\u0007":{"peers":[` +
			`{"id":0,"server":"10.0.0.1:80\u001b[2J","name":"a\u202e\u009b31m","weight":1,"state":"up","active":0}]}}`,
		NGINXStub:  "Active connections: 3 " + esc + "\nserver accepts handled requests\n 10 10 20 \nReading: 0 Writing: 1 Waiting: 2 \n",
		Prometheus: promVector(`"web\u001b]2;owned\u0007\u001b[2J\u202e\u009b31m"`, `"1"`),
	},
}

// opening starts an Oversized or Endless reply; filler repeats after it.
func opening(k Kind, f Fault) string {
	if f == LongError {
		switch k {
		case NGINXPlus:
			return `{"error":{"status":500,"code":"Fault","text":"`
		case Prometheus:
			return `{"status":"error","errorType":"internal","error":"`
		}
		return ""
	}
	if f == Endless {
		switch k {
		case HAProxy:
			return statHeader + "web,s1,"
		case Envoy:
			return `{"cluster_statuses":[{"name":"`
		case NGINXPlus:
			return `{"`
		case NGINXStub:
			return "Active connections: "
		}
		return `{"status":"success","data":{"resultType":"vector","result":[{"metric":{"proxy":"`
	}
	switch k {
	case HAProxy:
		return statHeader
	case Envoy:
		return `{"cluster_statuses":[`
	case NGINXPlus:
		return `{"web":{"peers":[`
	case NGINXStub:
		return "Active connections: "
	}
	return `{"status":"success","data":{"resultType":"vector","result":[`
}

// filler is the unit an Oversized or Endless reply repeats: records for
// Oversized (a fleet far too big), one letter for Endless (a line or
// string that never ends).
func filler(k Kind, f Fault) string {
	switch f {
	case Endless:
		return "a"
	case LongError:
		return "x"
	}
	switch k {
	case HAProxy:
		return "web,s1,UP,1,0,1,2,10.0.0.1:80,L7OK,200,,\n"
	case Envoy:
		return `{"name":"c","host_statuses":[]},`
	case NGINXPlus:
		return `{"id":0,"server":"10.0.0.1:80","name":"a","state":"up","weight":1},`
	case NGINXStub:
		return "1"
	}
	return `{"metric":{"proxy":"p","server":"s"},"value":[1,"1"]},`
}
