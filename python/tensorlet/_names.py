"""The public names of TensorFlow 2 and Keras 3, by namespace: what
``tensorlet._missing`` recognises as "not implemented yet", and what
tools/coverage.py counts for docs/coverage.md. Written out by hand from the
TensorFlow 2.16 / Keras 3 API listings (classes and functions users call;
deprecated compat names left out)."""

_TF = """
Assert CriticalSection DType DeviceSpec GradientTape Graph IndexedSlices IndexedSlicesSpec Module Operation
OptionalSpec RaggedTensor RaggedTensorSpec RegisterGradient SparseTensor SparseTensorSpec Tensor TensorArray
TensorArraySpec TensorShape TensorSpec TypeSpec UnconnectedGradients Variable VariableAggregation
VariableSynchronization abs acos acosh add add_n approx_top_k argmax argmin argsort as_dtype as_string asin
asinh assert_equal assert_greater assert_less assert_rank atan atan2 atanh audio autodiff autograph
batch_to_space bitcast bitwise boolean_mask broadcast_dynamic_shape broadcast_static_shape broadcast_to
case cast clip_by_global_norm clip_by_norm clip_by_value compat complex concat cond config constant
constant_initializer control_dependencies conv conv2d_backprop_filter_v2 conv2d_backprop_input_v2
convert_to_tensor cos cosh cumsum custom_gradient data debugging device distribute divide dtypes
dynamic_partition dynamic_stitch edit_distance eig eigvals einsum ensure_shape equal errors executing_eagerly
exp expand_dims experimental extract_volume_patches eye feature_column fill fingerprint floor foldl foldr
function gather gather_nd get_current_name_scope get_logger get_static_value grad_pass_through gradients
graph_util greater greater_equal group guarantee_const hessians histogram_fixed_width
histogram_fixed_width_bins identity identity_n image import_graph_def init_scope inside_function io
is_symbolic_tensor is_tensor keras less less_equal linalg linspace lite load_library load_op_library
logical_and logical_not logical_or lookup make_ndarray make_tensor_proto map_fn math matmul matrix_square_root
maximum meshgrid minimum mlir multiply name_scope negative nest newaxis nn no_gradient no_op
nondifferentiable_batch_function
norm not_equal numpy_function one_hot ones ones_initializer ones_like pad parallel_stack pow print profiler
py_function quantization queue ragged random random_index_shuffle random_normal_initializer
random_uniform_initializer range rank raw_ops realdiv recompute_grad reduce_all reduce_any reduce_logsumexp
reduce_max reduce_mean reduce_min reduce_prod reduce_sum register_tensor_conversion_function repeat
required_space_to_batch_paddings reshape reverse reverse_sequence roll round saturate_cast saved_model scan
scatter_nd searchsorted sequence_mask sets shape shape_n sigmoid sign signal sin sinh size slice sort
space_to_batch space_to_batch_nd sparse split sqrt square squeeze stack stop_gradient strided_slice strings
subtract summary switch_case sysconfig tan tanh tensor_scatter_nd_add tensor_scatter_nd_max
tensor_scatter_nd_min tensor_scatter_nd_sub tensor_scatter_nd_update tensordot test tile timestamp tpu
train transpose truediv truncatediv truncatemod tuple type_spec_from_value types unique unique_with_counts
unravel_index unstack variable_creator_scope vectorized_map version where while_loop xla zeros
zeros_initializer zeros_like bfloat16 bool complex128 complex64 double float16 float32 float64 half int16
int32 int64 int8 qint16 qint32 qint8 quint16 quint8 resource string uint16 uint32 uint64 uint8 variant
"""

_TF_MATH = """
abs accumulate_n acos acosh add add_n angle approx_max_k approx_min_k argmax argmin asin asinh atan atan2
atanh bessel_i0 bessel_i0e bessel_i1 bessel_i1e betainc bincount ceil confusion_matrix conj cos cosh
count_nonzero cumprod cumsum cumulative_logsumexp digamma divide divide_no_nan equal erf erfc erfcinv erfinv
exp expm1 floor floordiv floormod greater greater_equal igamma igammac imag in_top_k invert_permutation
is_finite is_inf is_nan is_non_decreasing is_strictly_increasing l2_normalize lbeta less less_equal lgamma
log log1p log_sigmoid log_softmax logical_and logical_not logical_or logical_xor maximum minimum mod multiply
multiply_no_nan ndtri negative nextafter not_equal polygamma polyval pow real reciprocal reciprocal_no_nan
reduce_all reduce_any reduce_euclidean_norm reduce_logsumexp reduce_max reduce_mean reduce_min reduce_prod
reduce_std reduce_sum reduce_variance rint round rsqrt scalar_mul segment_max segment_mean segment_min
segment_prod segment_sum sigmoid sign sin sinh sobol_sample softmax softplus softsign special sqrt square
squared_difference subtract tan tanh top_k truediv unsorted_segment_max unsorted_segment_mean
unsorted_segment_min unsorted_segment_prod unsorted_segment_sqrt_n unsorted_segment_sum xdivy xlog1py xlogy
zero_fraction zeta
"""

_TF_NN = """
all_candidate_sampler atrous_conv2d atrous_conv2d_transpose avg_pool avg_pool1d avg_pool2d avg_pool3d
batch_norm_with_global_normalization batch_normalization bias_add collapse_repeated compute_accidental_hits
compute_average_loss conv1d conv1d_transpose conv2d conv2d_transpose conv3d conv3d_transpose conv_transpose
convolution crelu ctc_beam_search_decoder ctc_greedy_decoder ctc_loss ctc_unique_labels depth_to_space
depthwise_conv2d depthwise_conv2d_backprop_filter depthwise_conv2d_backprop_input dilation2d dropout elu
embedding_lookup embedding_lookup_sparse erosion2d experimental fixed_unigram_candidate_sampler
fractional_avg_pool fractional_max_pool gelu in_top_k isotonic_regression l2_loss l2_normalize leaky_relu
learned_unigram_candidate_sampler local_response_normalization log_poisson_loss log_softmax
log_uniform_candidate_sampler lrn max_pool max_pool1d max_pool2d max_pool3d max_pool_with_argmax moments
nce_loss normalize_moments pool relu relu6 safe_embedding_lookup_sparse sampled_softmax_loss scale_regularization_loss
selu separable_conv2d sigmoid sigmoid_cross_entropy_with_logits silu softmax softmax_cross_entropy_with_logits
softplus softsign space_to_batch space_to_depth sparse_softmax_cross_entropy_with_logits sufficient_statistics
swish tanh top_k weighted_cross_entropy_with_logits weighted_moments with_space_to_batch zero_fraction
"""

_TF_LINALG = """
LinearOperator adjoint band_part banded_triangular_solve cholesky cholesky_solve cross det diag diag_part
eig eigh eigh_tridiagonal eigvals eigvalsh einsum experimental expm eye global_norm inv l2_normalize
logdet logm lstsq lu lu_matrix_inverse lu_reconstruct lu_solve matmul matrix_rank matrix_transpose
matvec norm normalize pinv qr set_diag slogdet solve sqrtm svd tensor_diag tensor_diag_part tensordot trace
triangular_solve tridiagonal_matmul tridiagonal_solve
"""

_TF_RANDOM = """
Algorithm Generator all_candidate_sampler categorical create_rng_state experimental
fixed_unigram_candidate_sampler fold_in gamma get_global_generator learned_unigram_candidate_sampler
log_uniform_candidate_sampler normal poisson set_global_generator set_seed shuffle split
stateless_binomial stateless_categorical stateless_gamma stateless_normal stateless_parameterized_truncated_normal
stateless_poisson stateless_truncated_normal stateless_uniform truncated_normal uniform
uniform_candidate_sampler
"""

_TF_STRINGS = """
as_string bytes_split format join length lower ngrams reduce_join regex_full_match regex_replace split strip substr
to_hash_bucket to_hash_bucket_fast to_hash_bucket_strong to_number unicode_decode unicode_decode_with_offsets
unicode_encode unicode_script unicode_split unicode_split_with_offsets unicode_transcode upper
"""

_TF_CONFIG = """
LogicalDevice LogicalDeviceConfiguration PhysicalDevice experimental experimental_connect_to_cluster
experimental_connect_to_host experimental_functions_run_eagerly experimental_run_functions_eagerly
functions_run_eagerly get_logical_device_configuration get_soft_device_placement get_visible_devices
list_logical_devices list_physical_devices optimizer run_functions_eagerly set_logical_device_configuration
set_soft_device_placement set_visible_devices threading
"""

_KERAS = """
DTypePolicy FloatDTypePolicy Function Initializer Input InputSpec KerasTensor Layer Loss Metric Model
Operation Optimizer Quantizer Regularizer Sequential StatelessScope Variable activations applications
backend callbacks config constraints datasets device distribution dtype_policies export initializers
layers legacy losses metrics mixed_precision models name_scope ops optimizers preprocessing quantizers
random regularizers saving tree utils version
"""

_KERAS_LAYERS = """
Activation ActivityRegularization Add AdditiveAttention AlphaDropout Attention Average AveragePooling1D
AveragePooling2D AveragePooling3D AvgPool1D AvgPool2D AvgPool3D BatchNormalization Bidirectional CategoryEncoding
CenterCrop Concatenate Conv1D Conv1DTranspose Conv2D Conv2DTranspose Conv3D Conv3DTranspose ConvLSTM1D
ConvLSTM2D ConvLSTM3D Convolution1D Convolution2D Convolution3D Cropping1D Cropping2D Cropping3D Dense
DepthwiseConv1D DepthwiseConv2D Discretization Dot Dropout ELU EinsumDense Embedding Flatten FlaxLayer GRU
GRUCell GaussianDropout GaussianNoise GlobalAveragePooling1D GlobalAveragePooling2D GlobalAveragePooling3D
GlobalAvgPool1D GlobalAvgPool2D GlobalAvgPool3D GlobalMaxPool1D GlobalMaxPool2D GlobalMaxPool3D
GlobalMaxPooling1D GlobalMaxPooling2D GlobalMaxPooling3D GroupNormalization GroupQueryAttention HashedCrossing
Hashing Identity Input InputLayer InputSpec IntegerLookup JaxLayer LSTM LSTMCell Lambda Layer
LayerNormalization LeakyReLU Masking MaxPool1D MaxPool2D MaxPool3D MaxPooling1D MaxPooling2D MaxPooling3D
Maximum MelSpectrogram Minimum MultiHeadAttention Multiply Normalization PReLU Permute RNN RandomBrightness
RandomContrast RandomCrop RandomFlip RandomHeight RandomRotation RandomTranslation RandomWidth RandomZoom ReLU
RepeatVector Rescaling Reshape Resizing SeparableConv1D SeparableConv2D SeparableConvolution1D
SeparableConvolution2D SimpleRNN SimpleRNNCell Softmax SpatialDropout1D SpatialDropout2D SpatialDropout3D
SpectralNormalization StackedRNNCells StringLookup Subtract TFSMLayer TextVectorization ThresholdedReLU
TimeDistributed TorchModuleWrapper UnitNormalization UpSampling1D UpSampling2D UpSampling3D Wrapper
ZeroPadding1D ZeroPadding2D ZeroPadding3D add average concatenate deserialize dot maximum minimum multiply
serialize subtract
"""

_KERAS_LOSSES = """
BinaryCrossentropy BinaryFocalCrossentropy CTC CategoricalCrossentropy CategoricalFocalCrossentropy
CategoricalHinge CosineSimilarity Dice Hinge Huber KLDivergence LogCosh Loss MeanAbsoluteError
MeanAbsolutePercentageError MeanSquaredError MeanSquaredLogarithmicError Poisson Reduction
SparseCategoricalCrossentropy SquaredHinge Tversky binary_crossentropy binary_focal_crossentropy
categorical_crossentropy categorical_focal_crossentropy categorical_hinge cosine_similarity ctc deserialize
dice get hinge huber kl_divergence kld kullback_leibler_divergence log_cosh logcosh mae mape
mean_absolute_error mean_absolute_percentage_error mean_squared_error mean_squared_logarithmic_error mse msle
poisson serialize sparse_categorical_crossentropy squared_hinge tversky
"""

_KERAS_METRICS = """
AUC Accuracy BinaryAccuracy BinaryCrossentropy BinaryIoU CategoricalAccuracy CategoricalCrossentropy
CategoricalHinge CosineSimilarity F1Score FBetaScore FalseNegatives FalsePositives Hinge IoU KLDivergence
LogCoshError Mean MeanAbsoluteError MeanAbsolutePercentageError MeanIoU MeanMetricWrapper MeanSquaredError
MeanSquaredLogarithmicError Metric OneHotIoU OneHotMeanIoU Poisson Precision PrecisionAtRecall R2Score Recall
RecallAtPrecision RootMeanSquaredError SensitivityAtSpecificity SparseCategoricalAccuracy
SparseCategoricalCrossentropy SparseTopKCategoricalAccuracy SpecificityAtSensitivity SquaredHinge Sum
TopKCategoricalAccuracy TrueNegatives TruePositives binary_accuracy binary_crossentropy
binary_focal_crossentropy categorical_accuracy categorical_crossentropy categorical_focal_crossentropy
categorical_hinge deserialize get hinge huber kl_divergence log_cosh mean_absolute_error
mean_absolute_percentage_error mean_squared_error mean_squared_logarithmic_error poisson serialize
sparse_categorical_accuracy sparse_categorical_crossentropy sparse_top_k_categorical_accuracy squared_hinge
top_k_categorical_accuracy
"""

_KERAS_OPTIMIZERS = """
Adadelta Adafactor Adagrad Adam AdamW Adamax Ftrl Lamb Lion LossScaleOptimizer Nadam Optimizer RMSprop SGD
deserialize get legacy schedules serialize
"""

_KERAS_CALLBACKS = """
BackupAndRestore CSVLogger Callback CallbackList EarlyStopping History LambdaCallback LearningRateScheduler
ModelCheckpoint ProgbarLogger ReduceLROnPlateau RemoteMonitor SwapEMAWeights TensorBoard TerminateOnNaN
"""

_KERAS_ACTIVATIONS = """
celu deserialize elu exponential gelu get glu hard_shrink hard_sigmoid hard_silu hard_swish hard_tanh
leaky_relu linear log_sigmoid log_softmax mish relu relu6 selu serialize sigmoid silu soft_shrink softmax
softplus softsign sparse_plus sparsemax squareplus swish tanh tanh_shrink threshold
"""

_KERAS_INITIALIZERS = """
Constant GlorotNormal GlorotUniform HeNormal HeUniform Identity IdentityInitializer Initializer LecunNormal
LecunUniform Ones Orthogonal OrthogonalInitializer RandomNormal RandomUniform TruncatedNormal VarianceScaling
Zeros constant deserialize get glorot_normal glorot_uniform he_normal he_uniform identity lecun_normal
lecun_uniform ones orthogonal random_normal random_uniform serialize truncated_normal variance_scaling zeros
"""

_KERAS_REGULARIZERS = """
L1 L1L2 L2 OrthogonalRegularizer Regularizer deserialize get l1 l1_l2 l2 orthogonal_regularizer serialize
"""

_KERAS_CONSTRAINTS = """
Constraint MaxNorm MinMaxNorm NonNeg UnitNorm deserialize get max_norm min_max_norm non_neg serialize unit_norm
"""

_KERAS_UTILS = """
Config CustomObjectScope FeatureSpace Progbar PyDataset Sequence array_to_img audio_dataset_from_directory
clear_session custom_object_scope deserialize_keras_object disable_interactive_logging
enable_interactive_logging get_custom_objects get_file get_registered_name get_registered_object
get_source_inputs image_dataset_from_directory img_to_array is_interactive_logging_enabled is_keras_tensor
legacy load_img normalize pack_x_y_sample_weight pad_sequences plot_model register_keras_serializable
save_img serialize_keras_object set_random_seed split_dataset text_dataset_from_directory
timeseries_dataset_from_array to_categorical unpack_x_y_sample_weight
"""

_KERAS_MODELS = "Model Sequential clone_model load_model model_from_json save_model"

_KERAS_DATASETS = "boston_housing california_housing cifar10 cifar100 fashion_mnist imdb mnist reuters"

_KERAS_OPS = """
abs absolute add all amax amin any append arange arccos arccosh arcsin arcsinh arctan arctan2 arctanh argmax
argmin argpartition argsort array average average_pool batch_normalization binary_crossentropy bincount
broadcast_to cast categorical_crossentropy ceil cholesky clip concatenate cond conj conv conv_transpose
convert_to_numpy convert_to_tensor copy correlate cos cosh count_nonzero cross ctc_decode ctc_loss cumprod
cumsum custom_gradient depthwise_conv det diag diagonal diff digitize divide divide_no_nan dot eig eigh einsum
elu empty equal erf erfinv exp expand_dims expm1 extract_sequences eye fft fft2 flip floor floor_divide
fori_loop full full_like gelu get_item greater greater_equal hard_sigmoid hard_silu hard_swish hstack
identity imag image in_top_k inv irfft is_tensor isclose isfinite isinf isnan istft leaky_relu less
less_equal linalg linspace log log10 log1p log2 log_sigmoid log_softmax logaddexp logical_and logical_not
logical_or logical_xor logspace logsumexp lstsq lu_factor matmul max max_pool maximum mean median meshgrid min
minimum mod moments moveaxis multi_hot multiply nan_to_num ndim negative nn nonzero norm normalize not_equal
numpy one_hot ones ones_like outer pad power prod qr quantile ravel real reciprocal relu relu6 repeat reshape
rfft roll round rsqrt scatter scatter_update segment_max segment_sum selu separable_conv shape sigmoid sign
silu sin sinh size slice slice_update softmax softplus softsign solve solve_triangular sort
sparse_categorical_crossentropy split sqrt square squeeze stack std stft stop_gradient subtract sum svd swapaxes
swish take take_along_axis tan tanh tensordot tile top_k trace transpose tri tril triu true_divide unstack
var vdot vectorize vectorized_map vstack where while_loop zeros zeros_like
"""

_KERAS_BACKEND = """
backend clear_session epsilon floatx get_uid image_data_format is_float_dtype is_int_dtype is_keras_tensor
result_type set_epsilon set_floatx set_image_data_format standardize_dtype
"""

_KERAS_PREPROCESSING = ("image image_dataset_from_directory sequence text text_dataset_from_directory "
                        "timeseries_dataset_from_array")

_KERAS_RANDOM = "SeedGenerator beta binomial categorical dropout gamma normal randint shuffle truncated_normal uniform"

_KERAS_SAVING = """
CustomObjectScope custom_object_scope deserialize_keras_object get_custom_objects get_registered_name
get_registered_object load_model load_weights register_keras_serializable save_model save_weights
serialize_keras_object
"""

NAMES = {ns: frozenset(text.split()) for ns, text in {
    "tf": _TF, "tf.math": _TF_MATH, "tf.nn": _TF_NN, "tf.linalg": _TF_LINALG, "tf.random": _TF_RANDOM,
    "tf.strings": _TF_STRINGS,
    "tf.config": _TF_CONFIG, "keras": _KERAS, "keras.layers": _KERAS_LAYERS, "keras.losses": _KERAS_LOSSES,
    "keras.metrics": _KERAS_METRICS, "keras.optimizers": _KERAS_OPTIMIZERS, "keras.callbacks": _KERAS_CALLBACKS,
    "keras.activations": _KERAS_ACTIVATIONS, "keras.initializers": _KERAS_INITIALIZERS,
    "keras.regularizers": _KERAS_REGULARIZERS, "keras.constraints": _KERAS_CONSTRAINTS,
    "keras.utils": _KERAS_UTILS, "keras.models": _KERAS_MODELS, "keras.datasets": _KERAS_DATASETS,
    "keras.ops": _KERAS_OPS, "keras.backend": _KERAS_BACKEND, "keras.preprocessing": _KERAS_PREPROCESSING,
    "keras.random": _KERAS_RANDOM, "keras.saving": _KERAS_SAVING,
}.items()}


def public_name(module):
    """The TensorFlow/Keras name of a tensorlet module: ``tensorlet.math`` -> ``tf.math``,
    ``tensorlet.keras.layers`` -> ``keras.layers``; None when it has none."""
    if module == "tensorlet":
        return "tf"
    if module.startswith("tensorlet.keras"):
        return module[len("tensorlet."):]
    ns = "tf." + module[len("tensorlet."):]
    return ns if ns in NAMES else None
