
Network MobileNetV2 {
	Layer CONV1 {
		Type: CONV
		Stride { X: 2, Y: 2 }		
		Dimensions { K: 32, C: 3, R: 1, S: 1, Y:224, X:224 }
	}

//Bottleneck 1
//BottleneckID_repeat_operatorID

	Layer Bottleneck1_1_1 {
		Type: CONV
		Stride { X: 1, Y: 1 }		
		Dimensions { K: 32, C: 32, R: 1, S: 1, Y:112, X:112 }
	}

	Layer Bottleneck1_1_2 {
		Type: DSCONV
		Stride { X: 1, Y: 1 }		
		Dimensions { K: 1, C: 32, R: 3, S: 3, Y:112, X:112 }
	}

	Layer CONV2D_3 {
		Type: CONV
		Stride { X: 1, Y: 1 }
		Dimensions { K: 1000, C: 1280, R: 7, S: 7, Y: 7, X: 7 }
	}



}
