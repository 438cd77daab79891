/** ARN partition of IAM resource ARNs when none is given (GovCloud: aws-us-gov, China: aws-cn). */
export const AWS_DEFAULT_PARTITION = "aws";
